"""The benchmark on a tiny configuration: the JSON and table have their shape, numbers are sane."""

from __future__ import annotations

import json

import pytest

from attnflow.bench import main
from attnflow.bench.cases import IMPLEMENTATIONS, Case
from attnflow.bench.memory import GIB, MIB, measure
from attnflow.bench.report import evaluate_targets, format_memory


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    code = main(["--sizes", "32", "--passes", "fwd", "fwd+bwd", "--repeats", "2", "--min-seconds", "0", "--warmup", "1",
                 "--no-memory", "--decode-tokens", "6", "--out", str(out)])
    return code, json.loads(out.read_text())


def test_json_holds_every_configuration(tiny_run, capsys):
    code, payload = tiny_run
    assert code == 0
    rows = payload["results"]
    assert [(r["implementation"], r["pass"]) for r in rows] == [
        (impl, mode) for mode in ("fwd", "fwd+bwd") for impl in IMPLEMENTATIONS]
    for row in rows:
        assert row["n"] == 32 and len(row["times_s"]) == 2
        assert 0 < row["time_s"] < 60
        assert row["gflops"] > 0 and row["eta"] > 0 and row["ratio_to_keras"] > 0
        assert row["memory"] is None
    for row in rows:
        if row["implementation"] in ("keras", "keras core"):
            assert row["ratio_to_keras"] == pytest.approx(1.0)
    assert payload["reference_gflops"] > 0
    assert len(payload["machine"]["loadavg_start"]) == 3
    assert payload["settings"]["statistic"] == "median"


def test_decoding_matches_the_full_pass(tiny_run):
    decoding = tiny_run[1]["decoding"]
    assert decoding["tokens"] == 6 and decoding["cached_s"] > 0 and decoding["speedup"] > 0
    assert decoding["python_loop"]["speedup"] > 0
    errors = decoding["max_abs_error_vs_full_pass"]
    assert len(errors) == 4 and max(errors.values()) < 1e-4


def test_table_is_printed(tmp_path, capsys):
    main(["--sizes", "16", "--passes", "fwd", "--repeats", "1", "--min-seconds", "0", "--warmup", "0", "--no-memory",
          "--decode-tokens", "0", "--out", str(tmp_path / "b.json")])
    out = capsys.readouterr().out
    assert "| N | pass | implementation | time | x Keras | GFLOP/s | η | peak memory growth |" in out
    assert out.count("| 16 | fwd |") == 4 and "load average" in out


def test_memory_is_measured_in_a_child_process():
    record = measure(Case("attnflow core", 64, "fwd+bwd"), cap_bytes=4 * GIB)
    assert record["status"] == "ok", record
    assert 0 <= record["peak_growth_bytes"] < 256 * MIB
    assert record["peak_rss_bytes"] > record["baseline_rss_bytes"] > 0


def test_watchdog_stops_a_child_past_the_cap():
    record = measure(Case("keras", 64, "fwd"), cap_bytes=48 * MIB)
    assert record["status"] == "exceeds_cap"
    assert format_memory(record) == "exceeds cap (48 MiB)"


def test_configurations_too_big_to_start_are_reported_not_run():
    from attnflow.bench.runner import _memory_record

    record = _memory_record(Case("keras", 32768, "fwd+bwd"), cap=8 * GIB)
    assert record["status"] == "exceeds_cap" and record["estimated_bytes"] == 3 * 4 * 8 * 32768**2
    assert format_memory(record) == "does not fit (est. >= 96.00 GiB)"


def test_targets_are_judged_from_rows():
    def row(impl, n, mode, ratio=None, eta=None, growth=None):
        memory = None if growth is None else {"status": "ok", "peak_growth_bytes": growth}
        return {"implementation": impl, "n": n, "pass": mode, "ratio_to_keras": ratio, "eta": eta,
                "memory": memory}

    rows = [row("attnflow", 4096, "fwd", ratio=1.4, eta=0.9), row("attnflow core", 4096, "fwd", eta=0.4),
            row("attnflow", 8192, "fwd+bwd", growth=0.2 * GIB), row("keras", 8192, "fwd+bwd", growth=6 * GIB),
            row("attnflow", 16384, "fwd+bwd", growth=2 * GIB)]
    targets = {t["target"]: t for t in evaluate_targets(rows, {"tokens": 512, "speedup": 7.0})}
    assert targets["fwd N=4096: attnflow MHA faster than Keras MHA"]["met"]
    assert not targets["fwd N>=1024: η of the attention core (lowest)"]["met"]
    assert targets["fwd+bwd N=8192: Keras MHA memory growth / attnflow MHA"]["value"] == pytest.approx(30)
    assert not targets["fwd+bwd N=16384: attnflow MHA memory growth (GiB)"]["met"]
    assert targets["decoding 512 tokens (tf.while_loop): cache vs recomputing the prefix"]["met"]


def test_mixed_bfloat16_times_both_precisions(tmp_path, capsys):
    out = tmp_path / "b.json"
    main(["--sizes", "16", "--passes", "fwd", "--repeats", "1", "--min-seconds", "0", "--warmup", "0",
          "--no-memory", "--decode-tokens", "0", "--precision", "mixed_bfloat16", "--out", str(out)])
    payload = json.loads(out.read_text())
    rows = payload["results"]
    assert [(r["implementation"], r["precision"]) for r in rows] == [
        (impl, precision) for precision in ("float32", "mixed_bfloat16") for impl in IMPLEMENTATIONS]
    for row in rows[len(IMPLEMENTATIONS):]:
        assert row["ratio_to_keras"] > 0 and row["ratio_to_keras_bf16"] > 0
        assert row["ratio_to_own_float32"] > 0 and row["eta"] > 0
    assert payload["reference_gflops_by_precision"]["mixed_bfloat16"] > 0
    table = capsys.readouterr().out
    assert "| x Keras bf16 | x own f32 |" in table and "| 16 | fwd | attnflow core bf16 |" in table


def test_keras_hub_decoding_peer_matches_its_full_passes():
    pytest.importorskip("keras_hub")
    from attnflow.bench.decoding_peer import run_peer

    peer = run_peer(3, repeats=1, warmup=0)
    assert [r["variant"] for r in peer["results"]] == ["cross-attention to 64 tokens", "decoder-only"]
    for result in peer["results"]:
        assert result["speedup"] > 0
        assert max(result["max_abs_error_vs_full_pass"].values()) < 1e-4
