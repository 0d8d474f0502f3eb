"""Task "translate": any file of parallel text (TSV or CSV: source, target).

`attnflow train translate --data pairs.tsv` shuffles the pairs into train,
validation and test splits and trains Seq2SeqAttention on them the way the
"dates" task does.
"""

from __future__ import annotations

from dataclasses import dataclass

from attnflow._validation import fail
from attnflow.data.pairs_file import read_pairs, warn_of_copies
from attnflow.data.parallel import ParallelSplits, split_pairs
from attnflow.tasks.translation.flags import TranslateFlags
from attnflow.tasks.translation.seq2seq import Seq2SeqOptions, Seq2SeqTask
from attnflow.training.config import RunConfig


@dataclass
class TranslateOptions(Seq2SeqOptions):
    """Settings of the pairs file, besides the seq2seq ones."""

    source_column: str | None = None  # header name of the source column (default: "source" or the 1st)
    target_column: str | None = None  # header name of the target column (default: "target" or the 2nd)
    validation_fraction: float = 0.1  # share of the pairs for validation
    test_fraction: float = 0.1  # share of the pairs for the test split


class TranslateTask(TranslateFlags, Seq2SeqTask):
    """A user's parallel text -> Seq2SeqAttention, character level."""

    options_class = TranslateOptions

    def defaults(self, chosen: dict | None = None) -> dict:
        defaults = super().defaults(chosen)
        defaults["model"]["lowercase_source"] = False
        return defaults

    def check_config(self, config: RunConfig) -> None:
        super().check_config(config)
        if config.data is None:
            fail("--data FILE, a TSV or CSV file of (source, target) pairs", data=None)

    def load_splits(self, config: RunConfig) -> ParallelSplits:
        options = self.options(config)
        pairs = read_pairs(config.data, options.source_column, options.target_column)
        splits = split_pairs(pairs, options.validation_fraction, options.test_fraction, config.seed)
        warn_of_copies(pairs, config.data)  # after the split's checks: an error comes alone
        return splits

    def load_data(self, config: RunConfig, data_path: str | None = None) -> ParallelSplits:
        if data_path is not None:
            options = self.options(config)
            return ParallelSplits([], [], read_pairs(data_path, options.source_column,
                                                     options.target_column))
        return self.load_splits(config)
