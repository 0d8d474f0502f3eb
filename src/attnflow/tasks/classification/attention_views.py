"""The classifiers' attention, laid out for the explorer, TensorBoard and faithfulness.

Views of one example (the explorer's "layer" picker), over the words of a
text or the steps of a series:

- RNN: "attention", the weights of the attention layer (multi-head: the
  mean of the heads and each head).
- Transformer: "model", what `predict --show-attention` shows (the pooling
  weights passed through the last block, heads averaged); "block l", each
  block's attention as the pooled vector reads it, sum_q pool[q] * A[h, q, k],
  per head and head-averaged; "pooling", the pooling weights alone.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from attnflow.explain.explorer import HEAD_MEAN, attention_view
from attnflow.explain.faithfulness import FaithfulnessProblem, measure, shifted_outputs
from attnflow.models.raw_text_classifier import RawTextClassifier
from attnflow.tasks.classification.classifier import step_weights

FAITHFULNESS_EXAMPLES = 200  # test examples measured (all of them when fewer)
BATCH = 64


def pick(part, count: int):
    """`count` examples of a data part, the same every time (sorted)."""
    count = min(count, len(part))
    chosen = np.random.default_rng(len(part)).choice(len(part), count, replace=False)
    return part.subset(np.sort(chosen))


def model_reading(model, inputs) -> tuple:
    """(the classifier, what it reads): token ids [N, T] for a text model, else features."""
    if isinstance(model, RawTextClassifier):
        return model.classifier, model.token_ids(tf.constant(list(inputs))).numpy()
    return model, np.asarray(inputs, np.float32)


def _call(classifier, inputs):
    """Probabilities [N, C] and the raw attention of every example, in batches."""
    probabilities, raw = [], []
    for start in range(0, len(inputs), BATCH):
        p, weights = classifier(tf.constant(inputs[start:start + BATCH]), return_attention_scores=True,
                                training=False)
        probabilities.append(p.numpy())
        raw.append(None if weights is None else tf.nest.map_structure(lambda w: w.numpy(), weights))
    return np.concatenate(probabilities), raw


def example_views(raw, row: int) -> list[tuple[str, dict, str]]:
    """(name, {head: weights [T]}, note) of example `row` of one batch's raw attention."""
    if isinstance(raw, dict):
        pooling, blocks = raw["pooling"][row], raw["blocks"][row]  # [T], [layers, H, T, T]
        views = []
        if len(blocks):
            model = step_weights({"pooling": raw["pooling"][row:row + 1],
                                  "blocks": raw["blocks"][row:row + 1]}).numpy()[0]
            views.append(("model", {"weights": model},
                          "pooling weights passed through the last block, heads averaged "
                          "(what predict --show-attention shows)"))
        for number, block in enumerate(blocks):
            read = np.einsum("q,hqk->hk", pooling, block)  # [H, T]
            heads = {HEAD_MEAN: read.mean(axis=0), **{f"head {h + 1}": w for h, w in enumerate(read)}}
            views.append((f"block {number + 1}", heads,
                          "this block's attention as the pooled vector reads it: sum_q pool[q] A[q, k]"))
        views.append(("pooling", {"weights": pooling}, "the attention pooling's weights"))
        return views
    weights = raw[row]
    if weights.ndim == 2:  # multi-head [H, T]
        return [("attention", {HEAD_MEAN: weights.mean(axis=0),
                               **{f"head {h + 1}": w for h, w in enumerate(weights)}}, "")]
    return [("attention", {"weights": weights}, "")]


def examples(task, model, data, config, split: str = "test", count: int = 8) -> tuple[str, list[dict]]:
    """The explorer's examples: ("tokens" or "steps", [example, ...]); [] without attention."""
    text = isinstance(model, RawTextClassifier)
    kind = "tokens" if text else "steps"
    source = data.validation if split == "validation" and data.validation is not None \
        and len(data.validation) else data.test
    if source is None or not len(source) or not count:
        return kind, []
    part = pick(source, count)
    inputs, _ = task.model_inputs(model, part)
    classifier, reading = model_reading(model, inputs)
    probabilities, raw = _call(classifier, reading)
    if raw[0] is None:
        return kind, []
    raw = tf.nest.map_structure(lambda *parts: np.concatenate(parts), *raw) if len(raw) > 1 else raw[0]
    result = []
    for row in range(len(part)):
        best = int(np.argmax(probabilities[row]))
        example = {"prediction": f"{part.classes[best]} ({probabilities[row][best]:.3f})",
                   "truth": part.classes[int(part.labels[row])], "rows": ["weight"]}
        if text:
            words, _ = _word_weights(model, part.texts[row], np.zeros(0))
            example.update(name=f"{row + 1}: {_short(part.texts[row])}", input=part.texts[row],
                           columns=words)
            fold = lambda weights, t=part.texts[row]: _word_weights(model, t, weights)[1]  # noqa: E731
        else:
            length = int(np.flatnonzero(part.mask[row]).max()) + 1 if part.mask[row].any() else 1
            values = part.x[row, :length, 0]
            example.update(name=f"{row + 1}: {part.series_ids[row]}", input=str(part.series_ids[row]),
                           columns=[f"t{t}" for t in range(length)],
                           series={"name": part.feature_names[0],
                                   "values": [None if np.isnan(v) else float(v) for v in values]})
            fold = lambda weights, n=length: [float(w) for w in weights[:n]]  # noqa: E731
        example["views"] = [attention_view(name, {head: [fold(np.asarray(w))] for head, w in heads.items()},
                                           note=note or None)
                            for name, heads, note in example_views(raw, row)]
        result.append(example)
    return kind, result


def _word_weights(model, text: str, weights):
    """The words of `text` and the weight of each (None: punctuation, or not read)."""
    from attnflow.tasks.classification.text import word_token_weights, word_weights

    if model.ngrams > 1 and len(weights):
        weights = word_token_weights(text, weights, model.ngrams)
    return word_weights(text, weights)


def _short(text: str, width: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


# -- faithfulness -----------------------------------------------------------------------


def faithfulness(task, model, data, config) -> dict | None:
    """`attnflow.explain.faithfulness.measure` on up to FAITHFULNESS_EXAMPLES test examples;
    None for a model without attention. Text: a word removed is masked (its id set to
    padding); series: a step removed is masked (its values missing)."""
    part = pick(data.test, FAITHFULNESS_EXAMPLES)
    inputs, _ = task.model_inputs(model, part)
    classifier, reading = model_reading(model, inputs)
    probabilities, raw = _call(classifier, reading)
    if raw[0] is None:
        return None
    steps = np.concatenate([np.asarray(step_weights(tf.nest.map_structure(tf.constant, r)))
                            for r in raw])  # [N, T]
    text = reading.dtype.kind in "iu"
    valid = reading != 0 if text else np.isfinite(reading).all(axis=-1)  # [N, T]
    positions = [np.flatnonzero(row) for row in valid]
    predicted = probabilities.argmax(axis=1)

    def outputs(removed):
        changed = reading.copy()
        for row, (where, gone) in enumerate(zip(positions, removed)):
            changed[row, where[gone]] = 0 if text else np.nan
        p, _ = _call(classifier, changed)
        return p[np.arange(len(p)), predicted]

    attribution = _gradient_x_input(classifier, reading, predicted, text)
    problem = FaithfulnessProblem([steps[row, where] for row, where in enumerate(positions)], outputs,
                                  [attribution[row, where] for row, where in enumerate(positions)])
    return measure(problem, seed=config.seed)


def _gradient_x_input(classifier, reading, predicted, text: bool) -> np.ndarray:
    """|gradient x input| of the predicted class's probability per position [N, T]: at the
    token embeddings (text), or at the features, measured from their mean (series)."""
    results = []
    for start in range(0, len(reading), BATCH):
        batch = tf.constant(reading[start:start + BATCH])
        chosen = tf.constant(predicted[start:start + BATCH])
        if text:
            layer = _embedding_layer(classifier)
            embedded = layer(batch)
            shift = tf.zeros_like(embedded)
            with tf.GradientTape() as tape, shifted_outputs(layer, shift):
                tape.watch(shift)
                p = classifier(batch, training=False)
                target = tf.reduce_sum(tf.gather(p, chosen, batch_dims=1))
            product = tape.gradient(target, shift) * embedded  # [B, T, D]
        else:
            with tf.GradientTape() as tape:
                tape.watch(batch)
                p = classifier(batch, training=False)
                target = tf.reduce_sum(tf.gather(p, chosen, batch_dims=1))
            mean = np.asarray(classifier.feature_mean if classifier.feature_mean is not None else 0.0,
                              np.float32)
            product = tape.gradient(target, batch) * (batch - mean)  # [B, T, F]
        results.append(np.abs(np.nan_to_num(tf.reduce_sum(product, axis=-1).numpy())))
    return np.concatenate(results)


def _embedding_layer(classifier):
    for name in ("embedding", "token_embedding", "positional_embedding"):
        layer = getattr(classifier, name, None)
        if layer is not None:
            return layer
    raise ValueError(f"expected a classifier with a token embedding. Received: {type(classifier).__name__}")
