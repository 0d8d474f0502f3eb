"""The command-line face of "dates" and "translate" (no TensorFlow; see attnflow.tasks.flags)."""

from __future__ import annotations

from attnflow.tasks.flags import TaskFlags

# Seq2SeqAttention's attentions (attnflow.models.seq2seq_attention.ATTENTIONS; a test keeps them equal)
ATTENTIONS = ("bahdanau", "luong-dot", "luong-general", "multihead", "none")
DATA_HELP = ("inputs to translate: from a .csv/.tsv/.tab file (or one whose first line has a "
             "tab), the source column as training reads it (the run's source column, default "
             "'source', else the first column); from any other file, one input per line")


class Seq2SeqFlags(TaskFlags):
    """The flags both seq2seq tasks take."""

    attention_names = ATTENTIONS  # --attention's values

    def add_arguments(self, parser, command: str) -> None:
        if command == "predict":
            data = parser._option_string_actions.get("--data")  # the CLI's own flag: say what is read
            if data is not None:
                data.help = DATA_HELP
            parser.add_argument("--beam", type=int, default=1, metavar="N",
                                help="beam width (default 1: greedy)")
            parser.add_argument("--length-penalty", type=float, default=None, metavar="ALPHA",
                                help="length penalty of beam search (default: the run's)")
            parser.add_argument("--saved-model", action="store_true",
                                help="translate through the exported SavedModel (greedy)")


class DatesFlags(Seq2SeqFlags):
    name = "dates"
    summary = "human-written dates in 12 locales -> ISO 8601 (generated with Faker and Babel)"


class TranslateFlags(Seq2SeqFlags):
    name = "translate"
    summary = "your parallel text (TSV/CSV: source, target) -> a translator with attention"

    def add_arguments(self, parser, command: str) -> None:
        super().add_arguments(parser, command)
        if command == "train":
            parser.add_argument("--source-col", dest="options.source_column", metavar="NAME",
                                help="header name of the source column")
            parser.add_argument("--target-col", dest="options.target_column", metavar="NAME",
                                help="header name of the target column")
