"""`attnflow bench`: attnflow's attention against Keras's, timed and measured.

Memory first: each configuration runs once in its own subprocess under an
RSS watchdog (a configuration whose score matrices alone would pass the cap
is not started at all). Then timing, in this process: per sequence length,
every configuration that fits runs once per round, rounds repeat, and the
median is kept. A square 2048 float32 matmul runs in every round too, as the
machine's reference rate for η (with `--precision mixed_bfloat16` every
configuration also runs in bfloat16, and a bfloat16 matmul gives its η).
Last, the decoding benchmark (and keras-hub's decoder, when importable).
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import sys
from pathlib import Path

import psutil

from attnflow.bench.memory import GIB, measure, start_self_watchdog

DEFAULT_SIZES = (256, 1024, 4096, 16384)
QUICK_SIZES = (256, 1024)
# Memory-only configurations behind the targets of issue 6.
EXTRA_MEMORY = ((8192, "fwd+bwd"), (32768, "fwd"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="attnflow bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="N in {256, 1024}, 3 repeats, 2 memory runs, 64 decoded tokens (< 2 min)")
    parser.add_argument("--sizes", type=int, nargs="+", help="sequence lengths N (default 256 1024 4096 16384)")
    parser.add_argument("--passes", nargs="+", choices=("fwd", "fwd+bwd"), default=["fwd", "fwd+bwd"])
    parser.add_argument("--repeats", type=int,
                        help="timed rounds, at least (default 5; --quick 3); cheap sizes get "
                             "more, up to 6x, see --min-seconds")
    parser.add_argument("--min-seconds", type=float,
                        help="per size, add rounds until they took this long (default 30; --quick 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed calls per step first (default 1)")
    parser.add_argument("--cap-gib", type=float, default=8.0,
                        help="RSS cap of every measured process, in GiB (default 8)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--decode-tokens", type=int, help="tokens of the decoding benchmark (default 512; 0 skips)")
    parser.add_argument("--precision", choices=("float32", "mixed_bfloat16"), default="float32",
                        help="mixed_bfloat16 times every configuration in float32 and in "
                             "bfloat16 in the same rounds (default float32 only)")
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/bench-<time>.json)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark; prints Markdown tables, writes the JSON. Returns 0."""
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from attnflow.bench.cases import IMPLEMENTATIONS, PRECISIONS, Case

    sizes = tuple(args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES))
    repeats = args.repeats or (3 if args.quick else 5)
    tokens = args.decode_tokens if args.decode_tokens is not None else (64 if args.quick else 512)
    # Leave the other users of the machine 2 GiB (MemAvailable, as psutil reads it on Linux).
    available = psutil.virtual_memory().available
    cap = min(int(args.cap_gib * GIB), max(available - 2 * GIB, GIB))
    start_self_watchdog(cap)
    started = datetime.datetime.now()
    load_start = os.getloadavg()

    precisions = PRECISIONS if args.precision == "mixed_bfloat16" else ("float32",)
    timed = [Case(impl, n, mode, precision) for n in sizes for mode in args.passes
             for precision in precisions for impl in IMPLEMENTATIONS]
    memory_cases = [] if args.no_memory else list(timed)
    if args.quick and not args.no_memory:
        memory_cases = [Case(impl, max(sizes), args.passes[-1], precision)
                        for precision in precisions for impl in ("attnflow", "keras")]
    elif not args.no_memory and args.sizes is None:
        memory_cases += [Case(impl, n, mode, precision) for n, mode in EXTRA_MEMORY
                         for precision in precisions for impl in IMPLEMENTATIONS]
    memory = {case: _memory_record(case, cap) for case in memory_cases}

    min_seconds = args.min_seconds if args.min_seconds is not None else (5.0 if args.quick else 30.0)
    times, matmul = _time_all(timed, memory, cap, repeats, args.warmup, min_seconds)
    peaks = {precision: max((rate for name, rate in matmul.items()
                             if rate and _matmul_precision(name) == precision), default=None)
             for precision in precisions}
    matmul_gflops = peaks["float32"]
    from attnflow.bench.cases import BASELINE
    from attnflow.bench.report import result_row
    from attnflow.bench.timing import median

    def time_of(implementation, case, precision="float32"):
        return median(times.get(Case(implementation, case.length, case.mode, precision)) or [])

    def ratios(case):
        """Baseline times: Keras in float32 (and bfloat16), and this implementation's float32."""
        if case.precision == "float32":
            return {}
        return {"keras_bf16": time_of(BASELINE[case.implementation], case, case.precision),
                "own_float32": time_of(case.implementation, case)}

    rows = [result_row(case, times.get(case), time_of(BASELINE[case.implementation], case),
                       peaks[case.precision], memory.get(case), ratios(case))
            for case in timed]
    extra_rows = [result_row(case, None, None, None, memory[case])
                  for case in memory_cases if case not in timed]
    decoding = None
    if tokens > 0:
        from attnflow.bench.decoding import run_decoding
        from attnflow.bench.decoding_peer import run_peer

        _say(f"decoding {tokens} tokens")
        decoding = run_decoding(tokens, repeats=3 if not args.quick else 2)
        decoding["peer"] = run_peer(tokens, repeats=3 if not args.quick else 2)
    info = {"precision": args.precision, "peaks": peaks,
            "command": "attnflow bench " + " ".join(sys.argv[1:] if argv is None else argv),
            "matmul": matmul, "matmul_gflops": matmul_gflops, "cap": cap, "started": started,
            "load_start": load_start, "repeats": repeats, "min_seconds": min_seconds}
    return _report(args, rows, extra_rows, decoding, info)


def _memory_record(case, cap: int) -> dict:
    estimate = case.materialized_bytes()
    if estimate > cap:
        _say(f"memory {case.name}: not started, scores alone need >= {estimate / GIB:.1f} GiB")
        return {"status": "exceeds_cap", "estimated_bytes": estimate, "cap_bytes": cap}
    record = measure(case, cap)
    growth = record.get("peak_growth_bytes")
    _say(f"memory {case.name}: {record['status']}"
         + (f", {growth / GIB:.3f} GiB" if growth is not None else ""))
    return record


def _time_all(timed, memory, cap, repeats, warmup, min_seconds):
    """Times every case that fits, one group of interleaved rounds per N."""
    import tensorflow as tf

    from attnflow.bench.cases import build, matmul_step
    from attnflow.bench.timing import median, time_interleaved

    precisions = {case.precision for case in timed}
    matmuls = [(f"{batch}matmul 2048{_MATMUL_SUFFIX[precision]}", bool(batch), precision)
               for precision in sorted(precisions) for batch in ("", "batched ")]
    times, matmul_times = {}, {name: [] for name, _, _ in matmuls}
    flops = 0.0
    for length in sorted({case.length for case in timed}):
        group = [case for case in timed if case.length == length and _fits(case, memory, cap)]
        steps = {case: build(case) for case in group}
        for name, batched, precision in matmuls:
            dtype = tf.bfloat16 if precision == "mixed_bfloat16" else tf.float32
            steps[name], flops = matmul_step(batched=batched, dtype=dtype)
        _say(f"timing N={length}: {len(group)} configurations, {repeats} rounds")
        results = time_interleaved(steps, repeats, warmup, progress=lambda line: _say(f"  {line}"),
                                   min_seconds=min_seconds)
        for key, values in results.items():
            if isinstance(key, str):
                matmul_times[key].extend(values)
            else:
                times[key] = values
        del steps
        gc.collect()
    return times, {name: flops / median(values) / 1e9 if values else None
                   for name, values in matmul_times.items()}


def _fits(case, memory, cap) -> bool:
    record = memory.get(case)
    if record is not None:
        return record["status"] == "ok"
    return case.materialized_bytes() * 1.5 < cap


def _report(args, rows, extra_rows, decoding, info: dict) -> int:
    import keras
    import tensorflow as tf

    from attnflow.bench import report

    targets = report.evaluate_targets(rows + extra_rows, decoding)
    targets += report.bfloat16_targets(rows + extra_rows, decoding)
    load_start, load_end, started = info["load_start"], os.getloadavg(), info["started"]
    repeats, matmul_gflops = info["repeats"], info["matmul_gflops"]
    payload = {
        "created": started.isoformat(timespec="seconds"),
        "command": info["command"].strip(),
        "quick": bool(args.quick),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "tensorflow": tf.__version__,
                    "keras": keras.__version__, "loadavg_start": load_start, "loadavg_end": load_end},
        "settings": {"batch": 1, "heads": 8, "head_dim": 64, "dtype": "float32",
                     "precision": info["precision"], "min_repeats": repeats,
                     "min_seconds": info["min_seconds"],
                     "warmup": args.warmup, "cap_bytes": info["cap"], "statistic": "median"},
        "matmul_gflops": info["matmul"], "reference_gflops": matmul_gflops,
        "reference_gflops_by_precision": info["peaks"],
        "results": rows, "memory_only": extra_rows, "decoding": decoding, "targets": targets,
    }
    stamp = started.strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("benchmarks/results") / f"bench-{stamp}{'-quick' if args.quick else ''}.json"
    report.write_json(out, payload)
    load = ", ".join(f"{x:.2f}" for x in load_start) + " -> " + ", ".join(f"{x:.2f}" for x in load_end)
    reference = ", ".join(f"{rate:.0f} GFLOP/s ({precision})" if rate else f"not measured ({precision})"
                          for precision, rate in info["peaks"].items())
    print(f"attnflow bench: B=1, H=8, D=64, {info['precision']}, median of >= {repeats} interleaved rounds; "
          f"{os.cpu_count()} CPUs, load average {load}; square 2048 matmul {reference}\n")
    print(report.markdown_table(rows))
    if extra_rows:
        print("\n" + report.memory_table(extra_rows))
    if decoding:
        python = decoding["python_loop"]
        print(f"\nDecoding {decoding['tokens']} tokens in a tf.while_loop: cached "
              f"{decoding['cached_s']:.3f} s ({decoding['cached_ms_per_token']:.2f} ms/token), "
              f"recomputing the prefix {decoding['recompute_s']:.3f} s: {decoding['speedup']:.1f}x. "
              f"From a Python loop: {python['cached_s']:.3f} s vs {python['recompute_s']:.3f} s: "
              f"{python['speedup']:.1f}x")
        if decoding.get("peer"):
            print("\n" + report.peer_table(decoding["peer"]))
    print("\n" + report.targets_table(targets))
    print(f"\nwrote {out}")
    return 0


_MATMUL_SUFFIX = {"float32": "", "mixed_bfloat16": " bfloat16"}


def _matmul_precision(name: str) -> str:
    return "mixed_bfloat16" if name.endswith(_MATMUL_SUFFIX["mixed_bfloat16"]) else "float32"


def _say(line: str) -> None:
    print(f"[bench] {line}", file=sys.stderr, flush=True)
