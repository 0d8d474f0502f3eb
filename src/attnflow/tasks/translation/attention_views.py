"""The translators' attention, laid out for the explorer, TensorBoard and faithfulness.

One view per example: the alignment of the greedy translation, output
characters (and the end token) x source characters, as `predict
--show-attention` draws it (multi-head attention: the heads' mean, which is
what the decoder's attention returns).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from attnflow.explain.explorer import attention_view
from attnflow.explain.faithfulness import FaithfulnessProblem, measure, shifted_outputs

END_TOKEN = "</s>"
FAITHFULNESS_EXAMPLES = 200
BATCH = 128


def pick(pairs: list, count: int) -> list:
    """`count` pairs, the same every time, in their order."""
    count = min(count, len(pairs))
    chosen = np.random.default_rng(len(pairs)).choice(len(pairs), count, replace=False)
    return [pairs[i] for i in sorted(chosen)]


def examples(model, data, split: str = "test", count: int = 8) -> tuple[str, list[dict]]:
    """("matrix", [example, ...]) of greedy translations; [] for a model without attention."""
    pairs = data.validation if split == "validation" and data.validation else data.test
    pairs = pick(pairs or [], count)
    if model.config.attention == "none" or not pairs:
        return "matrix", []
    result = []
    for number, ((source, target), translation) in enumerate(
            zip(pairs, model.translate([s for s, _ in pairs])), 1):
        rows = (list(translation.output_tokens) + [END_TOKEN])[:len(translation.attention)]
        if not rows:
            continue
        result.append({"name": f"{number}: {source}", "input": source, "prediction": translation.text,
                       "truth": target, "rows": rows, "columns": list(translation.source_tokens),
                       "views": [attention_view("attention", {"weights": translation.attention},
                                                note="output characters (rows) x source characters "
                                                     "(columns), greedy decoding")]})
    return "matrix", result


def faithfulness(model, data, config) -> dict | None:
    """`measure` on up to FAITHFULNESS_EXAMPLES test pairs: the output is the probability
    the model gives its own greedy translation (teacher-forced, mean over its tokens and
    the end token); a source character removed is masked (its id set to padding); each
    character's importance is the attention it receives, averaged over the output steps."""
    pairs = pick(data.test or [], FAITHFULNESS_EXAMPLES)
    if model.config.attention == "none" or not pairs:
        return None
    sources = [s for s, _ in pairs]
    translations = model.translate(sources)
    source_ids = model.encode_source(sources).numpy()  # [N, S]
    target_in, target_out = (t.numpy() for t in model.encode_target([t.text for t in translations]))
    positions = [np.flatnonzero(row) for row in source_ids != 0]
    importance = [t.attention.mean(axis=0)[:len(where)] if t.attention.size else np.zeros(len(where))
                  for t, where in zip(translations, positions)]

    def outputs(removed):
        changed = source_ids.copy()
        for row, (where, gone) in enumerate(zip(positions, removed)):
            changed[row, where[gone]] = 0
        return _output_probability(model, changed, target_in, target_out)

    attribution = _gradient_x_input(model, source_ids, target_in, target_out)
    problem = FaithfulnessProblem(importance, outputs,
                                  [attribution[row, where] for row, where in enumerate(positions)])
    return measure(problem, seed=config.seed)


def _sequence_probability(model, source, target_in, target_out):
    """Mean probability of each example's target tokens, teacher-forced: a tensor [B]."""
    logits = model((source, target_in), training=False)  # [B, T, V]
    probabilities = tf.gather(tf.nn.softmax(logits), target_out, batch_dims=2)  # [B, T]
    present = tf.cast(target_out != 0, probabilities.dtype)
    return tf.reduce_sum(probabilities * present, axis=1) / tf.maximum(tf.reduce_sum(present, axis=1), 1.0)


def _output_probability(model, source_ids, target_in, target_out) -> np.ndarray:
    return np.concatenate([
        _sequence_probability(model, tf.constant(source_ids[s:s + BATCH]), tf.constant(target_in[s:s + BATCH]),
                              tf.constant(target_out[s:s + BATCH])).numpy()
        for s in range(0, len(source_ids), BATCH)])


def _gradient_x_input(model, source_ids, target_in, target_out) -> np.ndarray:
    """|gradient x input| at the source character embeddings, summed over their width: [N, S]."""
    results = []
    for start in range(0, len(source_ids), BATCH):
        source = tf.constant(source_ids[start:start + BATCH])
        embedded = model.source_embedding(source)  # [B, S, E]
        shift = tf.zeros_like(embedded)
        with tf.GradientTape() as tape, shifted_outputs(model.source_embedding, shift):
            tape.watch(shift)
            target = tf.reduce_sum(_sequence_probability(
                model, source, tf.constant(target_in[start:start + BATCH]),
                tf.constant(target_out[start:start + BATCH])))
        product = tape.gradient(target, shift) * embedded
        results.append(np.abs(tf.reduce_sum(product, axis=-1).numpy()))
    return np.concatenate(results)
