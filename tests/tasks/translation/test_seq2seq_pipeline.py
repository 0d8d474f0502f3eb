"""The seq2seq tasks' tf.data pipeline: bucketed by length, exact batch count, teacher forcing."""

from __future__ import annotations

import numpy as np

from attnflow.models import Seq2SeqAttention
from attnflow.tasks.translation.seq2seq import pair_dataset

SOURCE = list("abcdefghij ")
TARGET = list("0123456789")


def test_batches_are_bucketed_counted_exactly_and_reshuffled():
    rng = np.random.default_rng(0)
    pairs = [("".join(rng.choice(SOURCE[:-1], size=n)), str(n)) for n in rng.integers(1, 30, 300)]
    model = Seq2SeqAttention(SOURCE, TARGET, {"embedding_dim": 4, "encoder_units": 4, "decoder_units": 8})
    dataset, batches = pair_dataset(model, pairs, batch_size=32, seed=1)
    epoch = list(dataset)
    assert len(epoch) == batches == int(dataset.cardinality())
    assert sum(int(x[0].shape[0]) for x, _ in epoch) == len(pairs)
    widths, padded = [], 0
    for (source, target_in), target_out in epoch:
        lengths = (source.numpy() != 0).sum(-1)
        assert lengths.max() == source.shape[1]  # padded to the longest of the batch only
        padded += source.shape[1] * len(lengths) - lengths.sum()
        assert target_in.shape == target_out.shape
        assert (target_in.numpy()[:, 0] == model.start_id).all()
        shifted = target_out.numpy()[:, :-1]  # teacher forcing: inputs are the targets, one late
        np.testing.assert_array_equal(target_in.numpy()[:, 1:],
                                      np.where(shifted == model.end_id, 0, shifted))
        widths.append(source.shape[1])
    total = sum(len(s) for s, _ in pairs)
    assert padded < 0.25 * total  # buckets keep padding small
    again = [x[0].numpy().tolist() for (x, _) in dataset]
    assert again != [x[0].numpy().tolist() for (x, _) in epoch]  # a new order every epoch
