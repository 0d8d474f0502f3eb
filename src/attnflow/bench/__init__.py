"""attnflow.bench: attnflow's attention against Keras's, timed and measured.

`attnflow bench [--quick] ...` and `python -m attnflow.bench ...` both call
`main`; see `attnflow.bench.runner` for what runs and docs/performance.md
for the results and how to read them.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark with command-line arguments `argv` (default sys.argv[1:])."""
    from attnflow.bench.runner import main as run

    return run(argv)


__all__ = ["main"]
