"""Splits of parallel text: (source, target) pairs for training and testing."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from attnflow._validation import fail

Pair = tuple[str, str]


@dataclass
class ParallelSplits:
    """(source, target) pairs by split.

    Args:
        train, validation, test: lists of (source, target) string pairs.
        held_out: an optional second test split, e.g. of patterns never seen
            in training (empty when the data has none).
    """

    train: list[Pair]
    validation: list[Pair]
    test: list[Pair]
    held_out: list[Pair] = field(default_factory=list)

    def evaluation_splits(self) -> dict[str, list[Pair]]:
        """The splits a model is scored on: "test", and "held_out" when present."""
        splits = {"test": self.test}
        if self.held_out:
            splits["held_out"] = self.held_out
        return splits

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation),
                "test": len(self.test), "held_out": len(self.held_out)}


def split_pairs(pairs: list[Pair], validation_fraction: float = 0.1,
                test_fraction: float = 0.1, seed: int = 0) -> ParallelSplits:
    """Shuffles pairs and cuts them into train, validation and test.

    Args:
        pairs: (source, target) pairs.
        validation_fraction, test_fraction: shares of the pairs (default 0.1
            each); each split gets at least one pair.
        seed: seed of the shuffle (default 0).

    Returns:
        A ParallelSplits without a held-out split.
    """
    for name, value in (("validation_fraction", validation_fraction),
                        ("test_fraction", test_fraction)):
        if not 0.0 < value < 0.5:
            fail(f"{name} in (0, 0.5)", **{name: value})
    if len(pairs) < 3:
        fail("at least 3 pairs to split into train, validation and test", pairs=len(pairs))
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    num_validation = max(1, int(len(shuffled) * validation_fraction))
    num_test = max(1, int(len(shuffled) * test_fraction))
    validation = shuffled[:num_validation]
    test = shuffled[num_validation:num_validation + num_test]
    train = shuffled[num_validation + num_test:]
    return ParallelSplits(train=train, validation=validation, test=test)
