"""Benchmark results: rows, the targets of issues 6 and 17, Markdown tables, the JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from attnflow.bench.cases import BASELINE, Case

GIB, MIB = 1024**3, 1024**2


def result_row(case: Case, times: list[float] | None, baseline_time: float | None,
               matmul_gflops: float | None, memory: dict | None,
               other_baselines: dict[str, float | None] | None = None) -> dict:
    """One table row as a JSON-ready dict.

    `baseline_time` is Keras's float32 time; `other_baselines` (bfloat16
    rows) holds "keras_bf16" (Keras in bfloat16) and "own_float32" (this
    implementation in float32), each giving a `ratio_to_<name>` entry.
    `matmul_gflops` is the matmul peak of the case's precision (η).
    """
    from attnflow.bench.timing import median

    seconds = median(times) if times else None
    gflops = case.flops / seconds / 1e9 if seconds else None
    extra = {f"ratio_to_{name}": (baseline / seconds if seconds and baseline else None)
             for name, baseline in (other_baselines or {}).items()}
    return {
        "implementation": case.implementation,
        "precision": case.precision,
        "n": case.length,
        "pass": case.mode,
        "time_s": seconds,
        "times_s": times or [],
        "baseline": BASELINE[case.implementation],
        "ratio_to_keras": baseline_time / seconds if seconds and baseline_time else None,
        "gflops": gflops,
        "eta": gflops / matmul_gflops if gflops and matmul_gflops else None,
        "memory": memory,
        **extra,
    }


def format_memory(memory: dict | None) -> str:
    if not memory:
        return "not measured"
    status = memory["status"]
    if status == "ok":
        return format_bytes(memory["peak_growth_bytes"])
    if status == "exceeds_cap":
        if memory.get("estimated_bytes"):
            return f"does not fit (est. >= {format_bytes(memory['estimated_bytes'])})"
        return f"exceeds cap ({format_bytes(memory['cap_bytes'])})"
    return f"{status}: {memory.get('error', '')}".rstrip(": ")


def format_bytes(count: float) -> str:
    return f"{count / GIB:.2f} GiB" if count >= GIB else f"{count / MIB:.0f} MiB"


def format_seconds(seconds: float | None, memory: dict | None) -> str:
    if seconds is None:
        return "does not fit" if memory and memory["status"] == "exceeds_cap" else "not run"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def markdown_table(rows: list[dict]) -> str:
    """The results; with bfloat16 rows also "x Keras bf16" and "x own f32" columns,
    and η of a bfloat16 row is against the bfloat16 matmul peak."""
    mixed = any(row.get("precision", "float32") != "float32" for row in rows)
    extra_head, extra_rule = (" x Keras bf16 | x own f32 |", "---:|---:|") if mixed else ("", "")
    lines = [f"| N | pass | implementation | time | x Keras |{extra_head} GFLOP/s | η "
             "| peak memory growth |",
             f"|---:|---|---|---:|---:|{extra_rule}---:|---:|---:|"]
    for row in rows:
        label = row["implementation"] + ("" if row.get("precision", "float32") == "float32" else " bf16")
        extra = "".join(f" {_ratio(row.get(key))} |" for key in ("ratio_to_keras_bf16",
                                                                 "ratio_to_own_float32")) if mixed else ""
        gflops = f"{row['gflops']:.0f}" if row["gflops"] else "-"
        eta = f"{row['eta']:.2f}" if row["eta"] else "-"
        lines.append(f"| {row['n']} | {row['pass']} | {label} | "
                     f"{format_seconds(row['time_s'], row['memory'])} | {_ratio(row['ratio_to_keras'])} |"
                     f"{extra} {gflops} | {eta} | {format_memory(row['memory'])} |")
    return "\n".join(lines)


def _ratio(value) -> str:
    return f"{value:.2f}x" if value else "-"


def memory_table(rows: list[dict]) -> str:
    lines = ["| N | pass | implementation | peak memory growth |", "|---:|---|---|---:|"]
    lines += [f"| {row['n']} | {row['pass']} | {row['implementation']}"
              f"{'' if row.get('precision', 'float32') == 'float32' else ' bf16'} | "
              f"{format_memory(row['memory'])} |" for row in rows]
    return "\n".join(lines)


def evaluate_targets(rows: list[dict], decoding: dict | None) -> list[dict]:
    """The targets of issue 6 that this run can judge, each with its value."""
    rows = [row for row in rows if row.get("precision", "float32") == "float32"]
    targets = []
    add = _adder(targets)

    row = find(rows, "attnflow", 4096, "fwd")
    add("fwd N=4096: attnflow MHA faster than Keras MHA", row and row["ratio_to_keras"], ">= 1.3x",
        row and row["ratio_to_keras"] and row["ratio_to_keras"] >= 1.3)
    etas = [r["eta"] for r in rows if r["implementation"] == "attnflow core" and r["pass"] == "fwd"
            and r["n"] >= 1024 and r["eta"]]
    add("fwd N>=1024: η of the attention core (lowest)", min(etas) if etas else None, ">= 0.5",
        etas and min(etas) >= 0.5)
    ours = growth(find(rows, "attnflow", 8192, "fwd+bwd"))
    theirs = growth(find(rows, "keras", 8192, "fwd+bwd"))
    capped = (find(rows, "keras", 8192, "fwd+bwd") or {}).get("memory", {}) or {}
    add("fwd+bwd N=8192: Keras MHA memory growth / attnflow MHA", ours and theirs and theirs / ours,
        ">= 10x", ours and theirs and theirs / ours >= 10,
        "Keras exceeded the cap: a lower bound" if capped.get("status") == "exceeds_cap" else "")
    for n, mode, limit in ((16384, "fwd+bwd", 1.5), (32768, "fwd", 2.0)):
        value = growth(find(rows, "attnflow", n, mode))
        ok = (find(rows, "attnflow", n, mode) or {}).get("memory", {}) or {}
        add(f"{mode} N={n}: attnflow MHA memory growth (GiB)", value and value / GIB,
            f"<= {limit} GiB", ok.get("status") == "ok" and value / GIB <= limit)
    if decoding and decoding["tokens"] >= 512:  # the target is for 512 tokens
        add(f"decoding {decoding['tokens']} tokens (tf.while_loop): cache vs recomputing the prefix",
            decoding["speedup"], ">= 5x", decoding["speedup"] >= 5)
    return targets


def bfloat16_targets(rows: list[dict], decoding: dict | None) -> list[dict]:
    """The targets of issue 17 that this run can judge (bfloat16 rows, keras-hub peer)."""
    targets = []
    add = _adder(targets)
    for n, mode, key, goal in ((4096, "fwd", "ratio_to_keras", 2.0),
                               (4096, "fwd", "ratio_to_keras_bf16", 2.0),
                               (4096, "fwd+bwd", "ratio_to_keras", 1.5)):
        row = find(rows, "attnflow", n, mode, "mixed_bfloat16")
        value = row and row.get(key)
        against = "Keras mixed_bfloat16" if key.endswith("bf16") else "Keras float32"
        add(f"{mode} N={n}: attnflow MHA bf16 vs {against}", value, f">= {goal}x",
            value and value >= goal, _eta_note(row))
    row = find(rows, "attnflow", 16384, "fwd+bwd", "mixed_bfloat16")
    value = row and row.get("ratio_to_own_float32")
    add("fwd+bwd N=16384: chunked attnflow MHA bf16 vs its float32", value, ">= 1.5x",
        value and value >= 1.5, _eta_note(row))
    low, high = (growth(find(rows, "attnflow", 16384, "fwd+bwd", p))
                 for p in ("mixed_bfloat16", "float32"))
    add("fwd+bwd N=16384: attnflow MHA memory bf16 / float32", low and high and low / high,
        "<= 1.0", low and high and low <= high)
    for peer in ((decoding or {}).get("peer") or {}).get("results", []):
        if peer["tokens"] < 512:  # the target is for 512 tokens
            continue
        add(f"decoding {peer['tokens']} tokens ({peer['variant']}): attnflow vs keras-hub tokens/s",
            peer["speedup"], ">= 1.5x", peer["speedup"] >= 1.5)
    return targets


def _eta_note(row) -> str:
    return f"η {row['eta']:.2f} of the bf16 matmul peak" if row and row.get("eta") else ""


def peer_table(peer: dict) -> str:
    """Cached decoding, attnflow's TransformerDecoderBlock against keras-hub's TransformerDecoder."""
    lines = [f"Cached decoding through one decoder block ({peer['loop']}):", "",
             "| variant | tokens | attnflow ms/token | keras-hub ms/token | attnflow / keras-hub tokens/s |",
             "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['variant']} | {r['tokens']} | {r['attnflow_ms_per_token']:.2f} | "
              f"{r['keras_hub_ms_per_token']:.2f} | {r['speedup']:.2f}x |" for r in peer["results"]]
    return "\n".join(lines)


def find(rows, impl, n, mode, precision="float32"):
    return next((r for r in rows if (r["implementation"], r["n"], r["pass"],
                                     r.get("precision", "float32")) == (impl, n, mode, precision)),
                None)


def growth(row):
    """A row's peak memory growth in bytes (a lower bound past the cap), or None."""
    memory = (row or {}).get("memory") or {}
    if memory.get("status") == "ok":
        return memory["peak_growth_bytes"]
    if memory.get("status") == "exceeds_cap":  # at least this much
        return memory.get("estimated_bytes") or memory["cap_bytes"]
    return None


def _adder(targets: list):
    def add(name, value, goal, met, note=""):
        if value is not None:
            targets.append({"target": name, "value": value, "goal": goal, "met": bool(met),
                            "note": note})
    return add


def targets_table(targets: list[dict]) -> str:
    lines = ["| target | measured | goal | met |", "|---|---:|---|---|"]
    for target in targets:
        value = target["value"]
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        note = f" ({target['note']})" if target["note"] else ""
        lines.append(f"| {target['target']} | {shown}{note} | {target['goal']} | "
                     f"{'yes' if target['met'] else 'no'} |")
    return "\n".join(lines)


def write_json(path: Path, payload: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(payload, indent=1) + "\n")
    temporary.replace(path)
    return path
