"""The command-line face of "text", "sequence" and "image" (no TensorFlow; see attnflow.tasks.flags)."""

from __future__ import annotations

from attnflow.tasks.classification.sequence_presets import DEFAULT_DATASET
from attnflow.tasks.flags import TaskFlags, set_help

# attnflow.data.sequences.BUILTIN_DATASETS and attnflow.data.fashion_mnist.DATASET (a test keeps
# them equal; those modules need pandas or TensorFlow)
SEQUENCE_DATASETS = ("JapaneseVowels", "BasicMotions")
IMAGE_DATASET = "fashion_mnist"


class TextFlags(TaskFlags):
    name = "text"
    summary = "classify texts (CSV/TSV/Parquet; default Amazon reviews), attention per word"

    def add_arguments(self, parser, command: str) -> None:
        if command == "train":
            parser.add_argument("--text-col", dest="options.text_column", metavar="NAME",
                                help="column of the texts in --data (default 'text')")
            parser.add_argument("--label-col", dest="options.label_column", metavar="NAME",
                                help="column of the labels in --data (default 'label')")
            parser.add_argument("--keep-markup", dest="options.strip_markup", action="store_false",
                                default=None, help="keep HTML tags and entities in the texts "
                                "(default: stripped before tokenizing, as in training)")
            parser.add_argument("--test-data", dest="options.test_data", metavar="FILE",
                                help="file of test texts (the same columns as --data): train and "
                                     "validate on --data, score the model and the baselines on FILE")
        if command == "predict":
            set_help(parser, "--data", "texts to classify: from a CSV/TSV/Parquet file (with a "
                     "header), its --text-col column; from any other file (e.g. .txt), one text "
                     "per line")
            parser.add_argument("--text-col", dest="text_column", metavar="NAME",
                                help="column of the texts in a --data table (default: the "
                                     "run's text column)")
            parser.add_argument("--html", metavar="FILE",
                                help="with --show-attention: the HTML file to write (default "
                                     "RUN/attention/predicted-TIME.html, a new one per call)")


class SequenceFlags(TaskFlags):
    name = "sequence"
    summary = "classify multivariate series (UEA JapaneseVowels, BasicMotions, or a long CSV)"

    def add_arguments(self, parser, command: str) -> None:
        if command == "train":
            parser.add_argument("--dataset", dest="options.dataset", choices=SEQUENCE_DATASETS,
                                help=f"built-in data set (default {DEFAULT_DATASET} when no --data); "
                                     "also picks its default settings")
            for flag, option, default in (("--id-col", "id_column", "series_id"),
                                          ("--time-col", "time_column", "time"),
                                          ("--label-col", "label_column", "label")):
                parser.add_argument(flag, dest=f"options.{option}", metavar="NAME",
                                    help=f"column of --data (default {default!r})")
            parser.add_argument("--test-data", dest="options.test_data", metavar="FILE",
                                help="long-format file of test series (same columns as --data): "
                                     "train and validate on --data, score the model and the "
                                     "baselines on FILE")
        if command == "predict":
            set_help(parser, "--data", "long-format CSV/TSV/Parquet file of the series to "
                     "classify: the run's id, time and feature columns (a label column, if "
                     "present, is ignored)")
            add_plots_flag(parser)


class ImageFlags(TaskFlags):
    name = "image"
    summary = "classify images (a folder of class folders or a CSV; default Fashion-MNIST) with a ViT"

    def add_arguments(self, parser, command: str) -> None:
        if command == "train":
            parser.add_argument("--dataset", dest="options.dataset", choices=[IMAGE_DATASET],
                                help=f"built-in data set (default {IMAGE_DATASET} when no --data)")
            parser.add_argument("--image-size", dest="options.image_size", type=int, metavar="N",
                                help="side the images are resized to (default 28 for "
                                     "Fashion-MNIST, 32 for --data)")
            parser.add_argument("--path-col", dest="options.path_column", metavar="NAME",
                                help="column of the image paths in a --data CSV (default 'path')")
            parser.add_argument("--label-col", dest="options.label_column", metavar="NAME",
                                help="column of the labels in a --data CSV (default 'label')")
            set_help(parser, "--data", "a folder with one sub-folder of images per class, or a "
                     "CSV of path,label (paths relative to the CSV)")
            parser.add_argument("--test-data", dest="options.test_data", metavar="DIR_OR_CSV",
                                help="test images laid out as --data (class folders, or a CSV): "
                                     "train and validate on --data, score the model and the "
                                     "baselines on these")
        if command == "evaluate":
            set_help(parser, "--data", "a folder of class folders, or a CSV of path,label")
        if command == "predict":
            set_help(parser, "--data", "a folder of images (read at any depth) to classify, "
                     "besides the INPUT files and folders")
            add_plots_flag(parser)


def add_plots_flag(parser) -> None:
    """predict's --plots: where --show-attention's PNGs go."""
    parser.add_argument("--plots", metavar="DIR",
                        help="with --show-attention: where the PNGs go (default RUN/attention/predicted)")
