"""The commands behind `attnflow train/evaluate/predict/explore/demo` (parsing,
help and errors are attnflow.cli's). Each takes the parsed arguments and argv
(re-parsed with the task's own flags) and returns the exit code."""

from __future__ import annotations

import os

from attnflow._validation import fail
from attnflow.cli import (CONFIG_DESTS, OUTPUT_FILE_DESTS, OUTPUT_FOLDER_DESTS, _command_hint,
                          build_parser)


def train(args, argv) -> int:
    from attnflow.estimators import estimator_class
    from attnflow.tasks import get_task
    from attnflow.training import RunConfig, RunDirectory, load_config_file
    from attnflow.training.config import resolve_task_config

    if args.resume:
        run = RunDirectory.unfinished(args.resume)
        values = run.load_config_values(finished=False)
        task = get_task(values.get("task"))
        args = build_parser(task, "train").parse_args(argv)
        if args.task not in (None, task.name):
            fail(f"the run's own task {task.name!r} with --resume", task=args.task)
        given = [flag for flag, value in _overrides(args).items() if value is not None]
        if given or args.overrides or args.config or args.out:
            fail("no other settings with --resume (a run keeps its own)",
                 settings=given + args.overrides + [f for f in ("config", "out") if getattr(args, f)])
        estimator = estimator_class(task.name)().fit_config(RunConfig.from_dict(values), resume=run)
    else:
        file_values = load_config_file(args.config) if args.config else {}
        name = args.task or file_values.get("task")
        if not name:
            fail("a task to train, e.g. `attnflow train dates`", task=None)
        if args.task and file_values.get("task") not in (None, args.task):
            fail(f"a config file for task {args.task!r}", config=f"{args.config} "
                 f"(task: {file_values.get('task')})")
        task = get_task(name)
        args = build_parser(task, "train").parse_args(argv)
        overrides = [_nested(key, value) for key, value in _overrides(args).items() if value is not None]
        overrides += [_parse_override(text) for text in args.overrides]
        config = resolve_task_config(task, file_values, overrides)
        estimator = estimator_class(task.name)().fit_config(config, out=args.out)
    if estimator.result_.path is None:  # a worker other than the chief: the chief reports
        return 0
    _show(task, estimator.result_)
    print(estimator.result_.path)
    return 0


def launch_workers(args, argv) -> int:
    """--workers N: the same command on N local processes (attnflow.training.launcher)."""
    from attnflow.tasks import get_task
    from attnflow.training import RunDirectory, load_config_file
    from attnflow.training.launcher import check_workers, launch

    check_workers(args.workers)
    if args.resume:
        run = RunDirectory.unfinished(args.resume)
    else:  # the run's name is fixed here, so that a failure message can name it
        name = args.task or (load_config_file(args.config) if args.config else {}).get("task")
        if not name:
            fail("a task to train, e.g. `attnflow train dates`", task=None)
        run = RunDirectory.new(args.out, get_task(name).name)
        argv = argv if args.out else [*argv, "--out", str(run.path)]
    return launch(argv, args.workers, str(run.path))


def join_cluster(verbose: bool = False) -> None:
    """With TF_CONFIG set, joins its cluster before TensorFlow starts (collective
    ops are configured at start-up only)."""
    import contextlib

    from attnflow._quiet import quiet_stderr
    from attnflow.training.distribution import cluster_from_environment, start_strategy

    if cluster_from_environment() is not None:
        with contextlib.nullcontext() if verbose else quiet_stderr():
            start_strategy()


def demo(args, argv) -> int:
    from rich.console import Console

    from attnflow.estimators import Translator
    from attnflow.tasks import get_task
    from attnflow.training.config import resolve_task_config

    Console().print("[bold]attnflow demo[/bold]: a character-level translator with attention "
                    "learns to read dates written in 12 locales and write them as ISO 8601.")
    task = get_task("dates")
    result = Translator().fit_config(resolve_task_config(task), out=args.out).result_
    _show(task, result)
    print(f"run: {result.path}  ({_command_hint('predict', result.path)} "
          f"\"14 février 2013\" --show-attention)")
    print(result.path)
    return 0


def evaluate(args, argv) -> int:
    from attnflow.estimators import load
    from attnflow.training.best_model import best_line, best_model
    from attnflow.training.report import metrics_document, metrics_table, read_metrics

    task, config, run, args = _finished_run(args, argv, "evaluate")
    scores = load(run.path).evaluate_file(args.data)
    try:  # what training scored: the baselines, on the run's own test split
        recorded = read_metrics(run.path / run.METRICS)
    except (OSError, ValueError):
        recorded = {}
    baselines = recorded.get("baselines") or {}
    headline = task.headline_metric(config)
    console = _console()
    console.print(f"{config.task}, evaluated on {args.data or 'its own test data'}:",
                  highlight=False, soft_wrap=True)  # a long path is never cut
    console.print(metrics_table(metrics_document(config.task, scores, {} if args.data else baselines)))
    if args.data:  # the baselines never saw this file: say what the run's own split showed
        line = best_line(best_model(recorded.get("test") or {}, baselines, *headline))
        line = line and f"on the run's own test split (the baselines ran there only): {line}"
    else:
        line = best_line(best_model(scores["test"], baselines, *headline))
    if line:  # last, where it is read
        console.print(line, soft_wrap=True)
    return 0


def predict(args, argv) -> int:
    from attnflow.training.output_paths import check_output_file, check_output_folder, kept_whole

    task, config, run, args = _finished_run(args, argv, "predict")
    files = [(dest, getattr(args, dest)) for dest in OUTPUT_FILE_DESTS if getattr(args, dest, None)]
    folders = [(dest, getattr(args, dest)) for dest in OUTPUT_FOLDER_DESTS if getattr(args, dest, None)]
    for dest, path in files:  # before the task loads anything
        check_output_file(dest, path)
    for dest, path in folders:
        check_output_folder(dest, path)
    model = []

    def load_model():  # after the task has checked the inputs
        if not model:
            model.append(run.load_model())
        return model[0]

    with kept_whole(path for _, path in files):  # a failure leaves the user's files as they were
        task.predict(load_model, list(args.inputs), {**vars(args), "run": str(run.path)}, config)
    return 0


def explore(args, argv) -> int:
    from attnflow.estimators import load

    if args.examples < 1:
        fail("--examples >= 1", examples=args.examples)
    print(load(args.run).explore(args.output, args.examples))
    return 0


COMMANDS = {"train": train, "demo": demo, "evaluate": evaluate, "predict": predict, "explore": explore}


def _finished_run(args, argv, command):
    from attnflow.tasks import get_task
    from attnflow.training import RunConfig, RunDirectory

    run = RunDirectory.finished(args.run)
    values = run.load_config_values()
    task = get_task(values.get("task"))
    return task, RunConfig.from_dict(values), run, build_parser(task, command).parse_args(argv)


def _show(task, result) -> None:
    from attnflow.training.best_model import best_line
    from attnflow.training.report import metrics_table

    console = _console()
    console.print(metrics_table(result.metrics))
    seconds = result.metrics.get("train_seconds")
    epochs = result.metrics.get("epochs")
    console.print(f"{epochs} epoch{'' if epochs == 1 else 's'} in {seconds:.0f} s", highlight=False)
    task.summarize(result.model, result.data, result.config, console)
    pictures = sorted((result.path / "attention").glob("*.png"))
    if pictures:
        console.print(f"attention heatmaps: {result.path / 'attention'} ({len(pictures)} PNG)",
                      highlight=False)
    line = best_line(result.metrics.get("best"))
    if line:  # last, where it is read
        console.print(line, soft_wrap=True)


def _overrides(args) -> dict:
    """Flags that set a config value: dests in CONFIG_DESTS and dotted dests."""
    return {key: value for key, value in vars(args).items() if key in CONFIG_DESTS or "." in key}


def _nested(key, value):
    from attnflow.training.config import nested

    return nested(key, value)


def _parse_override(text):
    from attnflow.training.config import parse_override

    return parse_override(text)


def _console():
    """Rich's console; into a file or a pipe (no terminal, no COLUMNS), 200 columns wide,
    so that a table's lines are whole rather than folded at 80."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 200
    return console
