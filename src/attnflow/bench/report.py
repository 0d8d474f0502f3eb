"""Benchmark results: rows, the targets of issue 6, a Markdown table, the JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from attnflow.bench.cases import BASELINE, Case

GIB, MIB = 1024**3, 1024**2


def result_row(case: Case, times: list[float] | None, baseline_time: float | None,
               matmul_gflops: float | None, memory: dict | None) -> dict:
    """One table row as a JSON-ready dict."""
    from attnflow.bench.timing import median

    seconds = median(times) if times else None
    gflops = case.flops / seconds / 1e9 if seconds else None
    return {
        "implementation": case.implementation,
        "n": case.length,
        "pass": case.mode,
        "time_s": seconds,
        "times_s": times or [],
        "baseline": BASELINE[case.implementation],
        "ratio_to_keras": baseline_time / seconds if seconds and baseline_time else None,
        "gflops": gflops,
        "eta": gflops / matmul_gflops if gflops and matmul_gflops else None,
        "memory": memory,
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
    lines = ["| N | pass | implementation | time | x Keras | GFLOP/s | η | peak memory growth |",
             "|---:|---|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        ratio = f"{row['ratio_to_keras']:.2f}x" if row["ratio_to_keras"] else "-"
        gflops = f"{row['gflops']:.0f}" if row["gflops"] else "-"
        eta = f"{row['eta']:.2f}" if row["eta"] else "-"
        lines.append(f"| {row['n']} | {row['pass']} | {row['implementation']} | "
                     f"{format_seconds(row['time_s'], row['memory'])} | {ratio} | {gflops} | {eta} | "
                     f"{format_memory(row['memory'])} |")
    return "\n".join(lines)


def memory_table(rows: list[dict]) -> str:
    lines = ["| N | pass | implementation | peak memory growth |", "|---:|---|---|---:|"]
    lines += [f"| {row['n']} | {row['pass']} | {row['implementation']} | "
              f"{format_memory(row['memory'])} |" for row in rows]
    return "\n".join(lines)


def evaluate_targets(rows: list[dict], decoding: dict | None) -> list[dict]:
    """The targets of issue 6 that this run can judge, each with its value."""
    def find(impl, n, mode):
        return next((r for r in rows if (r["implementation"], r["n"], r["pass"]) == (impl, n, mode)),
                    None)

    def growth(row):
        memory = (row or {}).get("memory") or {}
        if memory.get("status") == "ok":
            return memory["peak_growth_bytes"]
        if memory.get("status") == "exceeds_cap":  # at least this much
            return memory.get("estimated_bytes") or memory["cap_bytes"]
        return None

    targets = []

    def add(name, value, goal, met, note=""):
        if value is not None:
            targets.append({"target": name, "value": value, "goal": goal, "met": bool(met),
                            "note": note})

    row = find("attnflow", 4096, "fwd")
    add("fwd N=4096: attnflow MHA faster than Keras MHA", row and row["ratio_to_keras"], ">= 1.3x",
        row and row["ratio_to_keras"] and row["ratio_to_keras"] >= 1.3)
    etas = [r["eta"] for r in rows if r["implementation"] == "attnflow core" and r["pass"] == "fwd"
            and r["n"] >= 1024 and r["eta"]]
    add("fwd N>=1024: η of the attention core (lowest)", min(etas) if etas else None, ">= 0.5",
        etas and min(etas) >= 0.5)
    ours, theirs = growth(find("attnflow", 8192, "fwd+bwd")), growth(find("keras", 8192, "fwd+bwd"))
    capped = (find("keras", 8192, "fwd+bwd") or {}).get("memory", {}) or {}
    add("fwd+bwd N=8192: Keras MHA memory growth / attnflow MHA", ours and theirs and theirs / ours,
        ">= 10x", ours and theirs and theirs / ours >= 10,
        "Keras exceeded the cap: a lower bound" if capped.get("status") == "exceeds_cap" else "")
    for n, mode, limit in ((16384, "fwd+bwd", 1.5), (32768, "fwd", 2.0)):
        value = growth(find("attnflow", n, mode))
        ok = (find("attnflow", n, mode) or {}).get("memory", {}) or {}
        add(f"{mode} N={n}: attnflow MHA memory growth (GiB)", value and value / GIB,
            f"<= {limit} GiB", ok.get("status") == "ok" and value / GIB <= limit)
    if decoding and decoding["tokens"] >= 512:  # the target is for 512 tokens
        add(f"decoding {decoding['tokens']} tokens (tf.while_loop): cache vs recomputing the prefix",
            decoding["speedup"], ">= 5x", decoding["speedup"] >= 5)
    return targets


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
