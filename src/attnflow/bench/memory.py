"""Peak memory growth of one case, measured in its own subprocess under a watchdog.

The child builds the case, traces it without running it, resets the kernel's
peak-RSS counter, runs the step once and reports VmHWM - VmRSS(before): the
memory the step itself needed. The parent samples the child's RSS (psutil) every
few milliseconds and kills it as soon as it passes the cap, so a configuration
that does not fit is reported, not run to the end (the machine is shared).

Run as `python -m attnflow.bench.memory '{"implementation": ..., "length": ..., "mode": ...}'`
it is the child.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import psutil

GIB, MIB = 1024**3, 1024**2
POLL_SECONDS = 0.005


def rss_bytes(process: psutil.Process | None = None) -> int:
    """Resident set size (VmRSS) of a process, this one by default, in bytes; 0 once it is gone."""
    try:
        return (process or psutil.Process()).memory_info().rss
    except psutil.NoSuchProcess:  # a ZombieProcess too: exited, not yet reaped
        return 0


def peak_rss_bytes() -> int:
    """VmHWM of this process in bytes: the kernel's high-water mark of its RSS.

    psutil has no high-water mark, and `resource.getrusage`'s ru_maxrss keeps
    the peaks of threads that exited before `/proc/self/clear_refs` reset it,
    so the status file is read for this one figure.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # the file counts kB
    raise OSError("no VmHWM in /proc/self/status")


def measure(case, cap_bytes: int, timeout: float = 900.0) -> dict:
    """Runs `case` in a child process and returns its memory record.

    Returns:
        {"status": "ok" | "exceeds_cap" | "timeout" | "error", "cap_bytes",
         "peak_growth_bytes" (ok only), "peak_rss_bytes" (sampled), "error"}.
    """
    spec = json.dumps({"implementation": case.implementation, "length": case.length,
                       "mode": case.mode, "precision": case.precision})
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    child = subprocess.Popen([sys.executable, "-m", "attnflow.bench.memory", spec], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process = psutil.Process(child.pid)
    record = {"cap_bytes": cap_bytes}
    peak, status, started = 0, None, time.monotonic()
    while child.poll() is None:
        peak = max(peak, rss_bytes(process))
        if peak > cap_bytes:
            status = "exceeds_cap"
        elif time.monotonic() - started > timeout:
            status = "timeout"
        if status:
            child.send_signal(signal.SIGKILL)
            break
        time.sleep(POLL_SECONDS)
    stdout, stderr = child.communicate()
    record["peak_rss_bytes"] = peak
    if status:
        return {**record, "status": status}
    try:
        result = json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        tail = stderr.strip().splitlines()[-1:] or [f"exit code {child.returncode}"]
        return {**record, "status": "error", "error": tail[0][:300]}
    if result["peak_growth_bytes"] is None:  # no clear_refs: the sampled peak instead
        result["peak_growth_bytes"] = max(peak - result["baseline_rss_bytes"], 0)
    return {**record, "status": "ok", **result}


def start_self_watchdog(cap_bytes: int, interval: float = 0.05) -> threading.Thread:
    """Kills this process (exit code 3) if its own RSS ever passes the cap."""
    me = psutil.Process()

    def watch():
        while True:
            rss = rss_bytes(me)
            if rss > cap_bytes:
                print(f"attnflow bench: RSS {rss / GIB:.1f} GiB passed the cap "
                      f"{cap_bytes / GIB:.1f} GiB; stopping.", file=sys.stderr, flush=True)
                os._exit(3)
            time.sleep(interval)

    thread = threading.Thread(target=watch, name="rss-watchdog", daemon=True)
    thread.start()
    return thread


def _child(spec: str) -> int:
    from attnflow.bench.cases import Case, build

    case = Case(**json.loads(spec))
    step = build(case)
    step.get_concrete_function()  # trace now, so the measured run is the step alone
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # resets VmHWM to the current RSS
        resettable = True
    except OSError:
        resettable = False
    before = rss_bytes()
    started = time.perf_counter()
    step().numpy()
    seconds = time.perf_counter() - started
    peak = peak_rss_bytes() if resettable else None
    print(json.dumps({"baseline_rss_bytes": before, "peak_growth_bytes":
                      None if peak is None else max(peak - before, 0), "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
