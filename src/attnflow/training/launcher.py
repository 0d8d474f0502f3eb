"""`attnflow train ... --workers N`: N local worker processes on loopback ports.

Each worker is `attnflow train` with the same arguments and a TF_CONFIG of
its own (attnflow.training.distribution), so this runs exactly what several
machines would. Worker 0 is the chief: its output is the command's output
and it writes the run directory; the others write their logs to a temporary
folder, removed at the end. If a worker fails or dies, the others are
stopped at once (terminated, then killed after a grace period) and one line
names the worker; the run keeps its last finished epoch for `--resume`.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from attnflow._command import attnflow_command
from attnflow._validation import fail
from attnflow.training.distribution import TF_CONFIG

# lines TensorFlow's C++ runtime writes straight to stderr (gRPC and coordination
# service start-up notes): not actionable, kept out of the chief's stderr
RUNTIME_LOG_PREFIXES = (b"WARNING: All log messages before absl", b"I0000", b"W0000")
# the chief's own resume hint: the launcher says it once, with --workers
RESUME_HINT_PREFIX = b"interrupted; continue with:"
POLL_SECONDS = 0.2
GRACE_SECONDS = 5.0  # a worker blocked in an all-reduce ignores SIGTERM; then it is killed
EXIT_USAGE = 2


def check_workers(workers, environ=None) -> None:
    """--workers N: a positive count, and not inside a TF_CONFIG cluster."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        fail("--workers to be a positive number of processes", workers=workers)
    if (os.environ if environ is None else environ).get(TF_CONFIG, "").strip():
        fail("either --workers (local processes) or TF_CONFIG (a cluster), not both",
             workers=workers, TF_CONFIG="set")


def free_ports(count: int) -> list[int]:
    """`count` loopback ports free right now (held together, so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            handle = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            handle.bind(("localhost", 0))
            sockets.append(handle)
        return [handle.getsockname()[1] for handle in sockets]
    finally:
        for handle in sockets:
            handle.close()


def cluster_configs(ports: list[int]) -> list[str]:
    """One TF_CONFIG per worker of a loopback cluster."""
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    return [json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
            for index in range(len(ports))]


def without_workers_flag(argv: list[str]) -> list[str]:
    """argv with `--workers N` / `--workers=N` taken out."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--workers":
            skip = True
        elif not arg.startswith("--workers="):
            kept.append(arg)
    return kept


def launch(argv: list[str], workers: int, run_path: str | None = None,
           module: str = "attnflow.cli", timeout: float | None = None) -> int:
    """Runs `attnflow <argv>` (a train command) on `workers` local processes.

    Args:
        argv: the command line, --workers included or not.
        workers: how many processes.
        run_path: the run directory, named in the message when a worker fails.
        module: what each worker runs with `python -m` (tests run their own).
        timeout: seconds after which the workers are stopped (None: no limit).

    Returns:
        The exit code: 0, the chief's own code for bad input (2), 1 when a
        worker failed, 130 when interrupted.
    """
    check_workers(workers)
    argv = without_workers_flag(argv)
    logs = Path(tempfile.mkdtemp(prefix="attnflow-workers-"))
    processes = []
    stopping = threading.Event()  # set when the launcher stops the workers: their last words are noise
    try:
        for index, config in enumerate(cluster_configs(free_ports(workers))):
            env = {**os.environ, TF_CONFIG: config, "PYTHONUNBUFFERED": "1"}
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            output = None if index == 0 else open(logs / f"worker-{index}.log", "wb")
            processes.append(subprocess.Popen(
                [sys.executable, "-m", module, *argv], env=env, stdout=output,
                stderr=subprocess.STDOUT if output else subprocess.PIPE))
            if output:
                output.close()
            else:
                threading.Thread(target=_forward_stderr, args=(processes[-1].stderr, stopping),
                                 daemon=True).start()
        return _wait(processes, run_path, timeout, stopping)
    except KeyboardInterrupt:
        stopping.set()
        _stop(processes)
        if run_path:
            print(f"interrupted; continue with: {resume_hint(run_path, workers)}",
                  file=sys.stderr, flush=True)
        return 130
    finally:
        _stop(processes)
        shutil.rmtree(logs, ignore_errors=True)


def _wait(processes, run_path, timeout=None, stopping=None) -> int:
    """Waits for every worker; on the first failure stops the rest and says which."""
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            if deadline is not None and time.monotonic() > deadline:
                _quiet(stopping)
                _stop(processes)
                print(f"attnflow: error: the workers did not finish within {timeout:.0f} s; "
                      "they were stopped", file=sys.stderr, flush=True)
                return 1
            codes = [process.poll() for process in processes]
            failed = [index for index, code in enumerate(codes) if code not in (None, 0)]
            if failed:
                index = failed[0]
                _quiet(stopping)
                _stop(processes)
                if index == 0 and codes[0] == EXIT_USAGE:
                    return EXIT_USAGE  # the chief has said what is wrong with the input
                print(f"attnflow: error: worker {index} (pid {processes[index].pid}) "
                      f"{_describe_exit(codes[index])}; the other workers were stopped"
                      + (f"; continue with: {resume_hint(run_path, len(processes))}" if run_path else ""),
                      file=sys.stderr, flush=True)
                return 1
            if all(code == 0 for code in codes):
                return 0
            time.sleep(POLL_SECONDS)
    finally:
        signal.signal(signal.SIGTERM, previous)


def resume_hint(run_path, workers: int) -> str:
    """The command that continues the run on as many workers."""
    return f"{attnflow_command()} train --resume {shlex.quote(str(run_path))} --workers {workers}"


def _quiet(stopping) -> None:
    if stopping is not None:
        stopping.set()


def _forward_stderr(stream, stopping=None) -> None:
    """Copies the chief's stderr to ours, without TensorFlow's runtime notes nor its
    resume hint (which lacks --workers: the launcher gives its own), and nothing
    once the launcher is stopping the workers (TensorFlow's complaints about the
    step it cut short)."""
    for line in iter(stream.readline, b""):
        if stopping is not None and stopping.is_set():
            continue
        if not line.startswith(RUNTIME_LOG_PREFIXES + (RESUME_HINT_PREFIX,)):
            sys.stderr.write(line.decode(errors="replace"))
            sys.stderr.flush()


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"failed with exit code {code}"


def _stop(processes) -> None:
    """Terminates the workers still running, and kills those that do not stop."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + GRACE_SECONDS
    for process in running:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt
