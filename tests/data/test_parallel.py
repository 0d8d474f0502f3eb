"""Splitting pairs, and character vocabularies."""

from __future__ import annotations

import pytest

from attnflow.data.parallel import ParallelSplits, split_pairs
from attnflow.data.vectorize import char_vocabulary


def test_split_pairs_sizes_determinism_and_no_overlap():
    pairs = [(f"s{i}", f"t{i}") for i in range(100)]
    splits = split_pairs(pairs, 0.1, 0.2, seed=5)
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (70, 10, 20)
    assert split_pairs(pairs, 0.1, 0.2, seed=5) == splits
    assert sorted(splits.train + splits.validation + splits.test) == sorted(pairs)
    assert list(splits.evaluation_splits()) == ["test"]


def test_tiny_inputs_still_give_every_split_a_pair():
    splits = split_pairs([("a", "b"), ("c", "d"), ("e", "f")])
    assert [len(x) for x in (splits.train, splits.validation, splits.test)] == [1, 1, 1]
    with pytest.raises(ValueError, match="at least 3 pairs"):
        split_pairs([("a", "b")])
    with pytest.raises(ValueError, match="Received: test_fraction=0.7"):
        split_pairs([("a", "b")] * 10, test_fraction=0.7)


def test_held_out_is_an_evaluation_split_when_present():
    splits = ParallelSplits([("a", "b")], [], [("c", "d")], held_out=[("e", "f")])
    assert list(splits.evaluation_splits()) == ["test", "held_out"]


def test_char_vocabulary_most_frequent_first():
    assert char_vocabulary(["abca", "b"]) == ["a", "b", "c"]
    assert char_vocabulary(["abca", "b"], max_size=2) == ["a", "b"]
    assert char_vocabulary(["aab"], min_count=2) == ["a"]
    with pytest.raises(ValueError, match="at least one character"):
        char_vocabulary([""])
