"""Task "dates": human-written dates in many formats and locales -> ISO 8601.

The data are generated (Faker dates, Babel CLDR patterns; see
attnflow.data.dates): train/validation/test splits, and a "held_out" test
split of patterns never seen in training. Numeric forms carry their locale
tag ("<en_US> 3/7/98"); two-digit years fall in 1950-2049.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attnflow._validation import check_positive_int, fail
from attnflow.data.dates import DEFAULT_LOCALES, date_splits
from attnflow.data.parallel import ParallelSplits
from attnflow.tasks.translation.flags import DatesFlags
from attnflow.tasks.translation.seq2seq import Seq2SeqOptions, Seq2SeqTask
from attnflow.training.config import RunConfig


@dataclass
class DatesOptions(Seq2SeqOptions):
    """Settings of the generated data, besides the seq2seq ones."""

    train_size: int = 30000  # generated training pairs
    validation_size: int = 1000
    test_size: int = 2000
    held_out_size: int = 2000  # pairs written in held-out patterns
    held_out_fraction: float = 0.15  # share of (locale, pattern) forms held out
    locales: list = field(default_factory=lambda: list(DEFAULT_LOCALES))  # Babel locales

    def __post_init__(self):
        super().__post_init__()
        for name in ("train_size", "validation_size", "test_size", "held_out_size"):
            check_positive_int(name, getattr(self, name))
        if not isinstance(self.locales, list) or not self.locales:
            fail("locales to be a non-empty list of Babel locales", locales=self.locales)


class DatesTask(DatesFlags, Seq2SeqTask):
    """Dates as people write them -> ISO 8601, learned by Seq2SeqAttention."""

    options_class = DatesOptions
    bleu_tokenize = "char"  # one "word" per date: score characters

    def defaults(self, chosen: dict | None = None) -> dict:
        defaults = super().defaults(chosen)
        defaults.update(epochs=4, batch_size=128, learning_rate=3e-3, early_stopping=2)
        return defaults

    def check_config(self, config: RunConfig) -> None:
        super().check_config(config)
        if config.data is not None:
            fail("no --data for task 'dates' (its data are generated; "
                 "train on a file of pairs with task 'translate')", data=config.data)

    def load_splits(self, config: RunConfig) -> ParallelSplits:
        options = self.options(config)
        return date_splits(train_size=options.train_size, validation_size=options.validation_size,
                           test_size=options.test_size, held_out_size=options.held_out_size,
                           locales=tuple(options.locales),
                           held_out_fraction=options.held_out_fraction, seed=config.seed)
