"""One worker of the multi-worker tests: the toy task through the Trainer under TF_CONFIG.

    python -m tests.training.toy_worker OUT [--resume] [--epochs N] [--kill-worker I --kill-epoch E]

The worker numbered I kills itself (SIGKILL, as a lost machine) in the
middle of epoch E, after that epoch's first step.
"""

from __future__ import annotations

import argparse
import os
import signal

from attnflow.training.distribution import current_cluster, start_strategy

start_strategy()  # before TensorFlow runs anything

from attnflow.training import RunDirectory, Trainer, resolve_config  # noqa: E402
from attnflow.training.callbacks import TrainingClock  # noqa: E402
from tests.training.toy_task import ToyTask  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--kill-worker", type=int, default=-1)
    parser.add_argument("--kill-epoch", type=int, default=-1)
    args = parser.parse_args()
    if current_cluster().index == args.kill_worker:
        def begin(clock, epoch, logs=None):
            clock.epoch = epoch

        def after_step(clock, step, logs=None):
            if clock.epoch == args.kill_epoch and step == 1:
                os.kill(os.getpid(), signal.SIGKILL)

        TrainingClock.on_epoch_begin, TrainingClock.on_train_batch_end = begin, after_step
    config = resolve_config(ToyTask().defaults(), overrides=[{"epochs": args.epochs}])
    trainer = Trainer(ToyTask(), config, verbose=0)
    trainer.resume(RunDirectory.unfinished(args.out)) if args.resume else trainer.train(args.out)


if __name__ == "__main__":
    main()
