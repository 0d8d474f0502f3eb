"""The shared part of the "text" and "sequence" tasks: scores, model settings, batches, weights."""

from __future__ import annotations

import re

import numpy as np
import pytest
import tensorflow as tf
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score

from attnflow.models import RNNWithAttention, TransformerClassifier
from attnflow.tasks.classification.classifier import (
    build_classifier, classifier_arguments, labelled_batches, predict_batches, serving_outputs,
    step_weights)
from attnflow.tasks.classification.scores import classification_scores

CLASSES = ["ant", "bee", "cat"]
# rows true, columns predicted: 10 examples
MATRIX = np.array([[3, 1, 0],
                   [0, 2, 2],
                   [1, 0, 1]])


def from_matrix(matrix):
    labels, predicted = [], []
    for (true, guess), count in np.ndenumerate(matrix):
        labels += [true] * count
        predicted += [guess] * count
    return np.array(labels), np.array(predicted)


def test_scores_of_a_known_confusion_matrix_match_sklearn():
    labels, predicted = from_matrix(MATRIX)
    scores = classification_scores(labels, predicted, CLASSES)
    assert scores["confusion_matrix"] == MATRIX.tolist()
    assert scores["accuracy"] == pytest.approx(6 / 10)
    # by hand: precision ant 3/4, bee 2/3, cat 1/3; recall ant 3/4, bee 2/4, cat 1/2
    assert scores["per_class"]["bee"] == pytest.approx(
        {"precision": 2 / 3, "recall": 0.5, "f1": 2 * (2 / 3) * 0.5 / (2 / 3 + 0.5), "support": 4})
    assert scores["precision_macro"] == pytest.approx((3 / 4 + 2 / 3 + 1 / 3) / 3)
    assert scores["accuracy"] == pytest.approx(accuracy_score(labels, predicted))
    assert scores["f1_macro"] == pytest.approx(f1_score(labels, predicted, average="macro"))
    assert scores["recall_macro"] == pytest.approx(recall_score(labels, predicted, average="macro"))
    assert scores["precision_macro"] == pytest.approx(
        precision_score(labels, predicted, average="macro"))
    np.testing.assert_array_equal(confusion_matrix(labels, predicted), MATRIX)


def test_a_class_absent_from_labels_and_predictions_is_left_out_of_the_macro_averages():
    labels, predicted = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    scores = classification_scores(labels, predicted, CLASSES)
    assert scores["f1_macro"] == pytest.approx(f1_score(labels, predicted, average="macro"))
    assert scores["per_class"]["cat"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    never_predicted = classification_scores(np.array([0, 1, 2]), np.array([0, 0, 0]), CLASSES)
    assert never_predicted["per_class"]["bee"]["precision"] == 0.0
    assert never_predicted["f1_macro"] == pytest.approx(
        f1_score([0, 1, 2], [0, 0, 0], average="macro", zero_division=0))


@pytest.mark.parametrize("labels, predicted, message", [
    ([0, 1], [0], "same length"),
    ([], [], "N >= 1"),
    ([0, 3], [0, 1], "class indices in [0, 3)"),
])
def test_bad_score_inputs(labels, predicted, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")
                       .replace(")", r"\)")):
        classification_scores(np.array(labels, int), np.array(predicted, int), CLASSES)


def test_model_settings_pick_the_architecture_and_name_unknown_keys():
    model = build_classifier({"architecture": "rnn", "units": 8, "attention": "luong"}, 3,
                             vocabulary_size=20, max_length=16)
    assert isinstance(model, RNNWithAttention) and model.attention == "luong" and model.units == 8
    model_class, arguments = classifier_arguments(
        {"architecture": "transformer", "units": 8, "model_dim": 8, "num_heads": 2},
        2, vocabulary_size=20, max_length=16)
    assert model_class is TransformerClassifier and "units" not in arguments
    assert arguments["max_length"] == 16 and arguments["num_classes"] == 2
    with pytest.raises(ValueError, match=r"Received: unknown=\['unit'\]"):
        build_classifier({"unit": 8}, 2)
    with pytest.raises(ValueError, match="architecture to be one of"):
        build_classifier({"architecture": "cnn"}, 2)
    with pytest.raises(ValueError, match="an RNN .* for attention \"none\""):
        build_classifier({"architecture": "transformer", "attention": "none"}, 2, vocabulary_size=9)


@pytest.mark.parametrize("attention, message", [
    ("foo", "expected attention to be one of ('bahdanau', 'luong', 'multihead', 'none'), with "
            "model.architecture=rnn"),
    ("bahdanau", 'an RNN (model.architecture=rnn) for attention "bahdanau"'),
    ("multihead", 'an RNN (model.architecture=rnn) for attention "multihead"'),
])
def test_the_transformer_takes_no_attention_setting(attention, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build_classifier({"architecture": "transformer", "attention": attention}, 2,
                         vocabulary_size=9)
    with pytest.raises(ValueError, match="expected attention to be one of"):
        build_classifier({"architecture": "rnn", "attention": "foo"}, 2, vocabulary_size=9)


def test_switching_architecture_drops_the_presets_settings_of_the_other_one():
    from attnflow.tasks import get_task

    sequence, text = get_task("sequence"), get_task("text")
    model = sequence.defaults({"model": {"architecture": "transformer"}})["model"]
    assert model == {"architecture": "transformer", "dropout": 0.4, "l2": 1e-3}  # no attention
    assert sequence.defaults()["model"]["attention"] == "bahdanau"
    model = text.defaults({"model": {"architecture": "rnn"}})["model"]
    assert "model_dim" not in model and "token_dropout" not in model and model["dropout"] == 0.5
    assert text.defaults()["model"]["model_dim"] == 32


def test_length_bucketed_batches_count_their_steps_and_keep_every_example():
    texts = [" ".join(["w"] * n) for n in range(1, 41)]
    labels = np.arange(40) % 2
    dataset, steps = labelled_batches(texts, labels, batch_size=4, seed=0, lengths=np.arange(1, 41))
    batches = list(dataset)
    assert len(batches) == steps == dataset.cardinality().numpy()
    seen = sorted(t.decode() for x, _ in batches for t in x.numpy())
    assert seen == sorted(texts)
    # a batch holds texts of one length bucket (buckets of 1..40 are 8 lengths wide)
    for x, _ in batches:
        lengths = [len(t.split()) for t in x.numpy()]
        assert max(lengths) - min(lengths) < 8
    plain, plain_steps = labelled_batches(np.zeros((10, 3, 2), "float32"), np.zeros(10), 4)
    assert plain_steps == 3 and [b[0].shape[0] for b in plain] == [4, 4, 2]


def test_step_weights_of_each_kind():
    rnn = tf.constant([[0.2, 0.8]])
    np.testing.assert_allclose(step_weights(rnn).numpy(), [[0.2, 0.8]])
    heads = tf.constant([[[0.2, 0.8], [0.6, 0.4]]])  # [B=1, H=2, T=2]
    np.testing.assert_allclose(step_weights(heads).numpy(), [[0.4, 0.6]])
    assert step_weights(None) is None
    # transformer: pooled vector reads query 0 alone; its last-block row is [0.1, 0.9] on average
    blocks = np.zeros((1, 2, 2, 2, 2), "float32")  # [B, layers, H, T, T]
    blocks[0, -1, :, 0] = [[0.0, 1.0], [0.2, 0.8]]
    weights = {"blocks": tf.constant(blocks), "pooling": tf.constant([[1.0, 0.0]])}
    np.testing.assert_allclose(step_weights(weights).numpy(), [[0.1, 0.9]], atol=1e-7)
    no_blocks = {"blocks": tf.zeros((1, 0, 2, 2, 2)), "pooling": tf.constant([[0.3, 0.7]])}
    np.testing.assert_allclose(step_weights(no_blocks).numpy(), [[0.3, 0.7]])


def test_predict_batches_sorted_by_length_give_each_example_its_own_row():
    model = RNNWithAttention(2, vocabulary_size=12, embedding_dim=4, units=4, seed=1)
    ids = np.array([[3, 4, 5, 0], [6, 0, 0, 0], [7, 8, 0, 0]])
    lengths = np.array([3, 1, 2])
    probabilities, weights = predict_batches(model, ids, batch_size=2, lengths=lengths)
    direct, direct_weights = model(ids, return_attention_scores=True)
    np.testing.assert_allclose(probabilities, direct.numpy(), atol=1e-6)
    for row, length in enumerate(lengths):
        assert weights[row].shape == (length,)
        np.testing.assert_allclose(weights[row], direct_weights.numpy()[row, :length], atol=1e-6)
    outputs = serving_outputs(model, tf.constant(ids), ["down", "up"])
    assert sorted(outputs) == ["attention", "classes", "label", "probabilities"]
    best = np.argmax(direct.numpy(), axis=1)
    assert [label.decode() for label in outputs["label"].numpy()] == [["down", "up"][i] for i in best]
    assert outputs["classes"].numpy().tolist() == [[b"down", b"up"]] * 3  # [B, C], as probabilities
    twin = RNNWithAttention(2, vocabulary_size=12, embedding_dim=4, units=4, attention="none")
    assert sorted(serving_outputs(twin, tf.constant(ids), ["down", "up"])) == ["classes", "label",
                                                                              "probabilities"]
    assert predict_batches(twin, ids, 2)[1] == [None, None, None]


def test_sequence_plot_names_stay_distinct_when_ids_collide_once_made_file_safe():
    from attnflow.tasks.classification.sequence import _plot_name

    taken: set[str] = set()
    ids = ["a_b_2", "a b", "a_b", "A_B", "s/1"]
    names = [_plot_name(series_id, number, taken) for number, series_id in enumerate(ids)]
    assert names == ["series_a_b_2.png", "series_a_b.png", "series_a_b_3.png", "series_A_B_4.png",
                     "series_s_1.png"]
    assert len({name.lower() for name in names}) == len(names)
