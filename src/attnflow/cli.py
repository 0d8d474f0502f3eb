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
code 2 (no traceback, no run directory left behind), naming the flag the user
types (--text-col, not text_col); set ATTNFLOW_DEBUG=1 to see the traceback
instead. TensorFlow's own log lines (E0000/W0000/I0000, CUDA probing) are
hidden unless --verbose is given. Help is read from the tasks' TaskFlags
(attnflow.tasks.flags) and imports no TensorFlow, so it comes at once; the
commands themselves are in attnflow._cli_commands.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import warnings

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
    """The parser; with a task (or its TaskFlags), its own flags for `command`
    are added; with `list_tasks`, `train --help` lists every task."""
    parser = _Parser(prog="attnflow", description="Attention for TensorFlow.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _Parser(add_help=False)
    common.add_argument("--verbose", action="store_true",
                        help="also show TensorFlow's own log lines (hidden by default)")

    train = commands.add_parser("train", help="train a task into a run directory", parents=[common],
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
                                   parents=[common],
                                   epilog=RUN_HELP.format(command="evaluate") if run_help else None)
    evaluate.add_argument("run", metavar="RUN")
    evaluate.add_argument("--data", metavar="FILE", help="evaluate on this file instead")

    predict = commands.add_parser("predict", help="run a trained model on inputs", parents=[common],
                                  epilog=RUN_HELP.format(command="predict") if run_help else None)
    predict.add_argument("run", metavar="RUN")
    predict.add_argument("inputs", nargs="*", metavar="INPUT")
    predict.add_argument("--show-attention", action="store_true",
                         help="show the attention weights of each prediction")
    predict.add_argument("--data", metavar="FILE", help="inputs from a file (tasks that read one)")
    predict.add_argument("--output", metavar="FILE",
                         help="write predictions to this file (replaced if it exists)")

    explore = commands.add_parser("explore", parents=[common],
                                  help="write RUN/explorer.html: the run's attention in a browser")
    explore.add_argument("run", metavar="RUN")
    explore.add_argument("--examples", type=int, default=8, metavar="N",
                         help="test examples shown (default 8)")
    explore.add_argument("--output", metavar="FILE", help="the HTML file (default RUN/explorer.html)")

    demo = commands.add_parser("demo", help="train a date translator with attention and show it",
                               parents=[common])
    demo.add_argument("--out", metavar="DIR", help="the run directory (default runs/dates-TIME)")
    commands.add_parser("example", help="a worked example of attention on a four-token sentence",
                        parents=[common])
    commands.add_parser("bench", help="benchmarks; arguments go to attnflow.bench", add_help=False)

    if task is not None and command in ("train", "evaluate", "predict"):
        task.add_arguments({"train": train, "evaluate": evaluate, "predict": predict}[command],
                           command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs `attnflow argv...` and returns its exit code (argparse's own exits,
    --help and bad flags, raise SystemExit as usual)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        verbose = "--verbose" in argv
        _set_log_level(verbose)
        _quiet_tensorflow_import(verbose)  # before bench imports TensorFlow
        try:  # written separately; imported only when asked for
            from attnflow.bench import main as bench
        except ImportError as error:
            print(f"attnflow: error: benchmarks unavailable ({error})", file=sys.stderr)
            return 1
        return bench([arg for arg in argv[1:] if arg != "--verbose"]) or 0
    if argv[:1] == ["train"] and HELP_FLAGS & set(argv):
        named = argv[1] if len(argv) > 1 and not argv[1].startswith("-") else None
        task = _task_or_none(named)
        build_parser(task, "train", list_tasks=True).parse_args(argv[:1] + ["--help"])
    if argv[:1] in (["evaluate"], ["predict"]) and HELP_FLAGS & set(argv):
        named = [arg for arg in argv[1:] if not arg.startswith("-")]  # RUN, or a flag's value
        if any(os.path.isdir(arg) for arg in named):  # reading a run's task imports TensorFlow
            _set_log_level("--verbose" in argv)
            _quiet_tensorflow_import("--verbose" in argv)
        task = next(filter(None, map(_run_task_or_none, named)), None)
        build_parser(task, argv[0]).parse_args(argv[:1] + ["--help"])
    args, _ = build_parser().parse_known_args(argv)
    _set_log_level(args.verbose)  # before anything imports TensorFlow
    if args.command == "example":
        from attnflow.explain.worked_example import main as worked_example

        _quiet_tensorflow_start(args.verbose)
        return worked_example()
    from attnflow import _cli_commands as commands

    _quiet_tensorflow_import(args.verbose)
    try:
        if args.command == "train" and args.workers is not None:
            return commands.launch_workers(args, argv)
        if args.command == "train":
            commands.join_cluster(args.verbose)  # before TensorFlow's runtime starts
        _quiet_tensorflow_start(args.verbose)
        with _one_line_warnings():
            return commands.COMMANDS[args.command](args, argv)
    except ValueError as error:
        if os.environ.get("ATTNFLOW_DEBUG"):
            raise
        message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        print(f"attnflow: error: {_with_flag_names(message, args)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except RuntimeError as error:  # a worker of a cluster failed; the run stays for --resume
        from attnflow.training.distribution import WorkerFailure

        if not isinstance(error, WorkerFailure) or os.environ.get("ATTNFLOW_DEBUG"):
            raise
        print(f"attnflow: error: {error}", file=sys.stderr)
        return 1


@contextlib.contextmanager
def _one_line_warnings():
    """Python warnings (a panel's skipped series, a library's RuntimeWarning) as one
    "attnflow: warning: ..." line each, without the file, line and source Python adds
    (only their format changes: warnings recorded by a caller stay recorded)."""
    original = warnings.formatwarning

    def one_line(message, category, filename, lineno, line=None):
        kind = "" if category is UserWarning else f"{category.__name__}: "
        return f"attnflow: warning: {kind}{message}\n"

    warnings.formatwarning = one_line
    try:
        yield
    finally:
        warnings.formatwarning = original


# -- help ---------------------------------------------------------------------


def _task_or_none(name):
    """The TaskFlags of task `name` (its flags and help, without TensorFlow), or None."""
    from attnflow.tasks import task_flags

    try:
        return task_flags(name) if name else None
    except ValueError:
        return None


def _run_task_or_none(path):
    """The task of the finished run at `path`, for its --help; None if it is no such run."""
    from attnflow.training.run_dir import RunDirectory

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
    from attnflow.tasks import TASK_FLAGS, task_flags

    lines = [f"  {name:<12} {task_flags(name).summary}" for name in sorted(TASK_FLAGS)]
    return "tasks:\n" + "\n".join(lines)


# -- errors -------------------------------------------------------------------


def _with_flag_names(message: str, args) -> str:
    """The message with the Python names it received replaced by the flags a user
    types: "Received: text_col='text'" -> "Received: --text-col='text'"."""
    head, mark, received = message.partition("Received: ")
    if not mark or args.command not in ("train", "evaluate", "predict"):
        return message
    if args.command == "train":
        task = _task_or_none(args.task)
    else:
        task = _run_task_or_none(args.run)
    flags = _flag_names(task, args.command)
    return head + mark + re.sub(r"(^|, )([A-Za-z_]\w*)=",
                                lambda m: f"{m.group(1)}{flags.get(m.group(2), m.group(2))}=",
                                received)


def _flag_names(task, command: str) -> dict[str, str]:
    """{Python name: flag} of the flags of `command` that take a value, with `task`'s
    own (a TaskFlags, or None). A flag of dest "options.text_column" is named by
    text_column and text_col."""
    parser = build_parser(task, command)
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    names = {}
    for action in subparsers.choices[command]._actions:
        long_flags = [flag for flag in action.option_strings if flag.startswith("--")]
        if not long_flags or action.nargs == 0 or action.dest == "help":
            continue
        leaf = action.dest.rsplit(".", 1)[-1]
        names.setdefault(leaf, long_flags[0])
        if leaf.endswith("_column"):
            names.setdefault(leaf.removesuffix("_column") + "_col", long_flags[0])
    return names


# -- TensorFlow's start -------------------------------------------------------


def _set_log_level(verbose: bool) -> None:
    """TF_CPP_MIN_LOG_LEVEL before TensorFlow is imported: 0 with --verbose, else
    3 (a user's own setting is kept)."""
    if verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _quiet_tensorflow_start(verbose: bool = False) -> None:
    """Starts TensorFlow's runtime; unless `verbose`, without its C++ log lines.

    Those lines (CUDA probing on a machine without a GPU, oneDNN notes,
    "E0000 ... oneDNN supports DT_BOOL only", grappler's "W0000 ... Error in
    PredictCost()") are not actionable and bury the command's own output and
    one-line errors. TF_CPP_MIN_LOG_LEVEL (`_set_log_level`) hides what
    TensorFlow logs while running; the lines written during the import itself
    ("All log messages before absl::InitializeLog()", "Could not find cuda
    drivers") ignore it, so file descriptor 2 goes to /dev/null meanwhile.
    Errors that matter still reach the user as Python exceptions.
    """
    _quiet_tensorflow_import(verbose)
    with _quiet_unless(verbose):
        import tensorflow as tf

        tf.constant(0)  # initializes the devices


def _quiet_tensorflow_import(verbose: bool = False) -> None:
    """Imports TensorFlow (and Keras) without their start-up lines unless `verbose`;
    the runtime itself starts later (`_quiet_tensorflow_start`), after a cluster
    named by TF_CONFIG is joined."""
    with _quiet_unless(verbose):
        import keras  # noqa: F401  (imports TensorFlow)
    if not verbose:  # TensorFlow's Python warnings too (e.g. retracing notes in k-fold runs)
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")


def _quiet_unless(verbose: bool):
    from attnflow._quiet import quiet_stderr

    return contextlib.nullcontext() if verbose else quiet_stderr()


def _command_hint(command: str, run) -> str:
    """`attnflow COMMAND RUN` as it works when typed in this shell (see attnflow._command)."""
    import shlex

    from attnflow._command import attnflow_command

    return f"{attnflow_command()} {command} {shlex.quote(str(run))}"


if __name__ == "__main__":
    sys.exit(main())
