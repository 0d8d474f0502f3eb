"""The `attnflow` command: parses, validates and dispatches to a task.

    attnflow train TASK [--data FILE] [--config FILE] [--attention NAME] [--epochs N]
                        [--out DIR] [--resume RUN] [--set KEY=VALUE ...] [--workers N]
    attnflow evaluate RUN [--data FILE]
    attnflow predict RUN TEXT... [--beam N] [--show-attention] [--saved-model] [--output FILE]
                                     # `attnflow predict RUN --help`: the run's task's options
    attnflow explore RUN [--examples N]  # RUN/explorer.html: the attention in a browser
    attnflow demo [--out DIR]        # train "dates", show metrics, samples, attention
    attnflow example                 # attention worked out by hand on four tokens
    attnflow bench ...               # benchmarks (attnflow.bench)

Errors in the user's arguments or data become one line on stderr and exit
code 2 (no traceback, no run directory left behind); set ATTNFLOW_DEBUG=1 to
see the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
CONFIG_DESTS = ("data", "epochs", "seed", "batch_size", "precision", "model.attention")
# predict options that name what it writes (a task's own flags use these dests)
OUTPUT_FILE_DESTS = ("output", "html")
OUTPUT_FOLDER_DESTS = ("plots",)
HELP_FLAGS = {"-h", "--help"}
RUN_HELP = ("The run's task adds options of its own (e.g. --beam, --saved-model, --html, --plots, "
            "--top-k): `attnflow {command} RUN --help` lists them.")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other bad input
        print(f"attnflow: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser(task=None, command: str | None = None,
                 list_tasks: bool = False) -> argparse.ArgumentParser:
    """The parser; with a task, its own flags for `command` are added; with
    `list_tasks`, `train --help` lists every task (importing them all)."""
    parser = _Parser(prog="attnflow", description="Attention for TensorFlow.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train a task into a run directory",
                                epilog=_task_list() if list_tasks else None,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("task", nargs="?", help="the task: dates, translate, ...")
    train.add_argument("--data", metavar="FILE", help="data file, for tasks that read one")
    train.add_argument("--config", metavar="FILE", help="settings from a YAML or TOML file")
    train.add_argument("--attention", dest="model.attention", metavar="NAME",
                       help=_attention_help(task))
    train.add_argument("--epochs", type=int, metavar="N", help="most epochs to train")
    train.add_argument("--batch-size", dest="batch_size", type=int, metavar="N")
    train.add_argument("--seed", type=int, metavar="N")
    train.add_argument("--precision", choices=("float32", "mixed_bfloat16", "mixed_float16", "auto"),
                       help="compute precision (auto: mixed_bfloat16 where the CPU has bfloat16 units)")
    train.add_argument("--set", dest="overrides", action="append", default=[],
                       metavar="KEY=VALUE", help="any setting, e.g. model.decoder_units=64")
    train.add_argument("--out", metavar="DIR", help="the run directory (default runs/TASK-TIME)")
    train.add_argument("--resume", metavar="RUN", help="continue an interrupted run")
    train.add_argument("--workers", type=int, metavar="N",
                       help="train on N local processes (MultiWorkerMirroredStrategy); "
                            "with TF_CONFIG set, each process joins that cluster instead")

    run_help = task is None or command not in ("evaluate", "predict")
    evaluate = commands.add_parser("evaluate", help="score a run on its test data or a file",
                                   epilog=RUN_HELP.format(command="evaluate") if run_help else None)
    evaluate.add_argument("run", metavar="RUN")
    evaluate.add_argument("--data", metavar="FILE", help="evaluate on this file instead")

    predict = commands.add_parser("predict", help="run a trained model on inputs",
                                  epilog=RUN_HELP.format(command="predict") if run_help else None)
    predict.add_argument("run", metavar="RUN")
    predict.add_argument("inputs", nargs="*", metavar="INPUT")
    predict.add_argument("--show-attention", action="store_true",
                         help="show the attention weights of each prediction")
    predict.add_argument("--data", metavar="FILE", help="inputs from a file (tasks that read one)")
    predict.add_argument("--output", metavar="FILE",
                         help="write predictions to this file (replaced if it exists)")

    explore = commands.add_parser("explore", help="write RUN/explorer.html: the run's attention in a browser")
    explore.add_argument("run", metavar="RUN")
    explore.add_argument("--examples", type=int, default=8, metavar="N", help="test examples shown (default 8)")
    explore.add_argument("--output", metavar="FILE", help="the HTML file (default RUN/explorer.html)")

    demo = commands.add_parser("demo", help="train a date translator with attention and show it")
    demo.add_argument("--out", metavar="DIR", help="the run directory (default runs/dates-TIME)")
    commands.add_parser("example", help="a worked example of attention on a four-token sentence")
    commands.add_parser("bench", help="benchmarks; arguments go to attnflow.bench", add_help=False)

    if task is not None and command in ("train", "evaluate", "predict"):
        task.add_arguments({"train": train, "evaluate": evaluate, "predict": predict}[command],
                           command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs `attnflow argv...` and returns its exit code (argparse's own exits,
    --help and bad flags, raise SystemExit as usual)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        try:  # written separately; imported only when asked for
            from attnflow.bench import main as bench
        except ImportError as error:
            print(f"attnflow: error: benchmarks unavailable ({error})", file=sys.stderr)
            return 1
        return bench(argv[1:]) or 0
    if argv[:1] == ["train"] and HELP_FLAGS & set(argv):
        named = argv[1] if len(argv) > 1 and not argv[1].startswith("-") else None
        task = _task_or_none(named)
        build_parser(task, "train", list_tasks=True).parse_args(argv[:1] + ["--help"])
    if argv[:1] in (["evaluate"], ["predict"]) and HELP_FLAGS & set(argv):
        named = (arg for arg in argv[1:] if not arg.startswith("-"))  # RUN, or a flag's value
        task = next(filter(None, map(_run_task_or_none, named)), None)
        build_parser(task, argv[0]).parse_args(argv[:1] + ["--help"])
    args, _ = build_parser().parse_known_args(argv)
    if args.command == "example":
        from attnflow.explain.worked_example import main as worked_example

        return worked_example()
    try:
        if args.command == "train" and args.workers is not None:
            return _launch_workers(args, argv)
        if args.command == "train":
            _join_cluster()
        _quiet_tensorflow_start()
        return _COMMANDS[args.command](args, argv)
    except ValueError as error:
        if os.environ.get("ATTNFLOW_DEBUG"):
            raise
        message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        print(f"attnflow: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except RuntimeError as error:  # a worker of a cluster failed; the run stays for --resume
        from attnflow.training.distribution import WorkerFailure

        if not isinstance(error, WorkerFailure) or os.environ.get("ATTNFLOW_DEBUG"):
            raise
        print(f"attnflow: error: {error}", file=sys.stderr)
        return 1


# -- commands -----------------------------------------------------------------


def _train(args, argv) -> int:
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
            _fail(f"the run's own task {task.name!r} with --resume", task=args.task)
        given = [flag for flag, value in _overrides(args).items() if value is not None]
        if given or args.overrides or args.config or args.out:
            _fail("no other settings with --resume (a run keeps its own)",
                  settings=given + args.overrides + [f for f in ("config", "out") if getattr(args, f)])
        estimator = estimator_class(task.name)().fit_config(RunConfig.from_dict(values), resume=run)
    else:
        file_values = load_config_file(args.config) if args.config else {}
        name = args.task or file_values.get("task")
        if not name:
            _fail("a task to train, e.g. `attnflow train dates`", task=None)
        if args.task and file_values.get("task") not in (None, args.task):
            _fail(f"a config file for task {args.task!r}", config=f"{args.config} "
                  f"(task: {file_values.get('task')})")
        task = get_task(name)
        args = build_parser(task, "train").parse_args(argv)
        flags = [_nested(key, value) for key, value in _overrides(args).items() if value is not None]
        overrides = flags + [_parse_override(text) for text in args.overrides]
        config = resolve_task_config(task, file_values, overrides)
        estimator = estimator_class(task.name)().fit_config(config, out=args.out)
    if estimator.result_.path is None:  # a worker other than the chief: the chief reports
        return 0
    _show(task, estimator.result_)
    print(estimator.result_.path)
    return 0


def _launch_workers(args, argv) -> int:
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
            _fail("a task to train, e.g. `attnflow train dates`", task=None)
        run = RunDirectory.new(args.out, get_task(name).name)
        argv = argv if args.out else [*argv, "--out", str(run.path)]
    return launch(argv, args.workers, str(run.path))


def _join_cluster() -> None:
    """With TF_CONFIG set, joins its cluster before TensorFlow starts (collective
    ops are configured at start-up only)."""
    from attnflow._quiet import quiet_stderr
    from attnflow.training.distribution import cluster_from_environment, start_strategy

    if cluster_from_environment() is not None:
        with quiet_stderr():
            start_strategy()


def _demo(args, argv) -> int:
    from rich.console import Console

    from attnflow.estimators import Translator
    from attnflow.tasks import get_task
    from attnflow.training.config import resolve_task_config

    Console().print("[bold]attnflow demo[/bold]: a character-level translator with attention "
                    "learns to read dates written in 12 locales and write them as ISO 8601.")
    task = get_task("dates")
    result = Translator().fit_config(resolve_task_config(task), out=args.out).result_
    _show(task, result)
    print(f"run: {result.path}  (attnflow predict {result.path} \"14 février 2013\" --show-attention)")
    print(result.path)
    return 0


def _evaluate(args, argv) -> int:
    from attnflow.training.report import metrics_document, metrics_table

    from attnflow.estimators import load

    task, config, run, args = _finished_run(args, argv, "evaluate")
    scores = load(run.path).evaluate_file(args.data)
    console = _console()
    console.print(f"{config.task}, evaluated on {args.data or 'its own test data'}:",
                  highlight=False, soft_wrap=True)  # a long path is never cut
    console.print(metrics_table(metrics_document(config.task, scores)))
    return 0


def _predict(args, argv) -> int:
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


def _explore(args, argv) -> int:
    from attnflow.estimators import load

    if args.examples < 1:
        _fail("--examples >= 1", examples=args.examples)
    print(load(args.run).explore(args.output, args.examples))
    return 0


_COMMANDS = {"train": _train, "demo": _demo, "evaluate": _evaluate, "predict": _predict,
             "explore": _explore}


def _finished_run(args, argv, command):
    from attnflow.tasks import get_task
    from attnflow.training import RunConfig, RunDirectory

    run = RunDirectory.finished(args.run)
    values = run.load_config_values()
    task = get_task(values.get("task"))
    return task, RunConfig.from_dict(values), run, build_parser(task, command).parse_args(argv)


def _show(task, result) -> None:
    from attnflow.training.report import metrics_table

    console = _console()
    console.print(metrics_table(result.metrics))
    seconds = result.metrics.get("train_seconds")
    console.print(f"{result.metrics.get('epochs')} epochs in {seconds:.0f} s", highlight=False)
    task.summarize(result.model, result.data, result.config, console)
    pictures = sorted((result.path / "attention").glob("*.png"))
    if pictures:
        console.print(f"attention heatmaps: {result.path / 'attention'} ({len(pictures)} PNG)",
                      highlight=False)


def _overrides(args) -> dict:
    """Flags that set a config value: dests in CONFIG_DESTS and dotted dests."""
    return {key: value for key, value in vars(args).items() if key in CONFIG_DESTS or "." in key}


def _nested(key, value):
    from attnflow.training.config import nested

    return nested(key, value)


def _parse_override(text):
    from attnflow.training.config import parse_override

    return parse_override(text)


def _fail(expected, **received):
    from attnflow._validation import fail

    fail(expected, **received)


def _task_or_none(name):
    from attnflow.tasks import get_task

    try:
        return get_task(name) if name else None
    except ValueError:
        return None


def _run_task_or_none(path):
    """The task of the finished run at `path`, for its --help; None if it is no such run."""
    from attnflow.training import RunDirectory

    if not path:
        return None
    try:
        return _task_or_none(RunDirectory.finished(path).load_config_values().get("task"))
    except ValueError:
        return None


def _attention_help(task) -> str:
    names = getattr(task, "attention_names", ())
    if names:
        return f"attention of the model: {', '.join(names)}"
    return "attention of the model, by name; the names depend on the task (most take bahdanau, none)"


def _task_list() -> str:
    from attnflow.tasks import available_tasks, get_task

    lines = [f"  {name:<12} {get_task(name).summary}" for name in available_tasks()]
    return "tasks:\n" + "\n".join(lines)


def _console():
    from rich.console import Console

    return Console(highlight=False)


def _quiet_tensorflow_start() -> None:
    """Starts TensorFlow's runtime with its C++ messages (CUDA probing) silenced,
    so that a bad argument gives one line on stderr and nothing else."""
    from attnflow._quiet import quiet_stderr

    with quiet_stderr():
        import tensorflow as tf

        tf.constant(0)  # initializes the devices


if __name__ == "__main__":
    sys.exit(main())
