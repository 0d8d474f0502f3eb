"""The classifier of the "text" and "sequence" tasks: built from the run's
model settings, fed in batches, read for its attention.

Model settings (config.model): "architecture" picks the network, "rnn"
(`attnflow.models.RNNWithAttention`, attention from `--attention`:
bahdanau, luong, multihead or none) or "transformer"
(`attnflow.models.TransformerClassifier`, whose attention is always its
multi-head self-attention in its encoder blocks and its pooling
(`model.pooling`): it takes no `attention` setting, and `--attention` with it
is an error rather than a setting recorded and ignored); every other key is
a keyword argument of that class, and keys that only the other architecture
takes are ignored (a task's defaults drop them, see `settings_for`).
"""

from __future__ import annotations

import inspect
import math
import weakref

import numpy as np
import tensorflow as tf

from attnflow._validation import check_choice, fail
from attnflow.models import RNNWithAttention, TransformerClassifier
from attnflow.models.rnn_with_attention import ATTENTIONS
from attnflow.training.progress import progress_bar

ARCHITECTURES = {"rnn": RNNWithAttention, "transformer": TransformerClassifier}
_ATTENDING_CALLS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> tf.function


def classifier_arguments(settings: dict, num_classes: int, **inputs) -> tuple[type, dict]:
    """(class, keyword arguments) of the classifier that `settings` describe.

    Args:
        settings: config.model ("architecture" and the class's arguments).
        num_classes: C.
        **inputs: what the data decide (vocabulary_size or feature_mean and
            feature_std, max_length).
    """
    settings = dict(settings)
    architecture = settings.pop("architecture", "rnn")
    check_choice("architecture", architecture, tuple(ARCHITECTURES))
    model_class = ARCHITECTURES[architecture]
    if architecture == "transformer" and "attention" in settings:
        check_attention_for_transformer(settings.pop("attention"))
    names = {name: _parameters(cls) for name, cls in ARCHITECTURES.items()}
    others = set().union(*(v for k, v in names.items() if k != architecture)) - names[architecture]
    unknown = sorted(set(settings) - names[architecture] - others)
    if unknown:
        fail(f"model settings of {model_class.__name__} among "
             f"{sorted(names[architecture] - set(inputs) - {'num_classes'})}", unknown=unknown)
    # settings of the other architecture (a preset's) are left out, so that
    # `--set model.architecture=...` is enough to switch
    chosen = {name: value for name, value in settings.items() if name in names[architecture]}
    given = {name: value for name, value in inputs.items() if name in names[architecture]}
    return model_class, {**chosen, **given, "num_classes": num_classes}


def check_attention_for_transformer(attention) -> None:
    """Raises ValueError for any `attention` given with the transformer: an
    unknown name lists the RNN's attentions, a known one says it needs the RNN."""
    if attention not in ATTENTIONS:
        fail(f"attention to be one of {ATTENTIONS}, with model.architecture=rnn (the "
             "transformer takes no attention setting)", attention=attention)
    fail(f'an RNN (model.architecture=rnn) for attention "{attention}"; the transformer '
         "always attends with its own multi-head self-attention and pooling (model.pooling) "
         "and takes no attention setting", attention=attention)


def settings_for(architecture, settings: dict) -> dict:
    """`settings` without the keys that `architecture`'s class does not take
    (a preset's RNN settings when the user picks the transformer);
    unchanged for an unknown architecture, which `classifier_arguments` names."""
    if architecture not in ARCHITECTURES:
        return dict(settings)
    taken = _parameters(ARCHITECTURES[architecture])
    return {"architecture": architecture,
            **{name: value for name, value in settings.items() if name in taken}}


def _parameters(model_class) -> set[str]:
    return set(inspect.signature(model_class.__init__).parameters) - {"self", "kwargs"}


def build_classifier(settings: dict, num_classes: int, **inputs):
    """A new RNNWithAttention or TransformerClassifier (see `classifier_arguments`)."""
    model_class, arguments = classifier_arguments(settings, num_classes, **inputs)
    return model_class(**arguments)


def step_weights(weights):
    """The attention each time step receives, [B, T], from what a classifier returns.

    RNN: the weights themselves ([B, T]; multi-head [B, H, T] averaged over
    the heads). Transformer: the weight of each position in the pooled
    vector passed through the last block, sum_q pool[q] * mean_h A[h, q, k]
    (with no blocks, the pooling weights). None (attention "none") stays None.
    """
    if weights is None:
        return None
    if isinstance(weights, dict):
        if weights["blocks"].shape[1] == 0:  # num_layers=0: embeddings pooled directly
            return weights["pooling"]  # [B, T]
        last = tf.reduce_mean(weights["blocks"][:, -1], axis=1)  # [B, T, T]
        return tf.einsum("bq,bqk->bk", weights["pooling"], last)  # [B, T]
    if len(weights.shape) == 3:
        return tf.reduce_mean(weights, axis=1)  # [B, T]
    return weights  # [B, T]


def predict_batches(model, inputs, batch_size: int, lengths=None, label: str = "predicting"):
    """Probabilities [N, C] and each example's step weights (arrays [T_i], or None).

    Args:
        model: a classifier (token ids, features or raw texts in).
        inputs: N examples (a list of strings or an array [N, ...]).
        batch_size: examples per call.
        lengths: the examples' lengths; given, examples of similar length
            are batched together (less padding) and weights are cut to them.
        label: the progress bar's label.
    """
    count = len(inputs)
    order = np.argsort(lengths, kind="stable") if lengths is not None else np.arange(count)
    call = _ATTENDING_CALLS.get(model)
    if call is None:  # one traced function per model, however often it predicts
        held = weakref.ref(model)  # the cache must not keep the model alive
        call = tf.function(lambda x: held()(x, return_attention_scores=True, training=False),
                           reduce_retracing=True)
        _ATTENDING_CALLS[model] = call
    probabilities, weights = [None] * count, [None] * count
    with progress_bar(count, label) as advance:
        for start in range(0, count, batch_size):
            chosen = order[start:start + batch_size]
            batch = [inputs[i] for i in chosen] if isinstance(inputs, list) else inputs[chosen]
            batch_probabilities, batch_weights = call(tf.constant(batch))
            batch_weights = step_weights(batch_weights)
            for row, index in enumerate(chosen):
                probabilities[index] = batch_probabilities[row].numpy()
                if batch_weights is not None:
                    steps = batch_weights[row].numpy()
                    weights[index] = steps[:lengths[index]] if lengths is not None else steps
            advance(len(chosen))
    return np.stack(probabilities), weights


def repeated(part, batch_size: int, min_steps: int):
    """`part` (any data with `subset`) as is when it fills `min_steps` batches, else
    whole copies of it, enough to fill them: a small file gets enough updates per
    epoch (the batches reshuffle every copy)."""
    if math.ceil(len(part) / batch_size) >= min_steps:
        return part
    passes = math.ceil(min_steps * batch_size / len(part))
    return part.subset(np.tile(np.arange(len(part)), passes))


def labelled_batches(inputs, labels, batch_size: int, seed: int | None = None, lengths=None):
    """(inputs, labels) batches for `fit` and their number.

    With a seed the examples are reshuffled every epoch; with lengths,
    batches hold examples of similar length (five length buckets).
    """
    labels = np.asarray(labels, dtype=np.int64)
    parts = (inputs, labels) if lengths is None else (inputs, labels, np.asarray(lengths, np.int32))
    dataset = tf.data.Dataset.from_tensor_slices(parts)
    if seed is not None:
        dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    if lengths is None:
        return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE), math.ceil(len(labels) / batch_size)
    boundaries = sorted({int(q) + 1 for q in np.quantile(lengths, [0.2, 0.4, 0.6, 0.8])})
    per_bucket = np.bincount(np.searchsorted(boundaries, lengths, side="right"))
    steps = int(sum(math.ceil(n / batch_size) for n in per_bucket))
    dataset = dataset.bucket_by_sequence_length(
        lambda x, y, length: length, boundaries, [batch_size] * (len(boundaries) + 1))
    dataset = dataset.map(lambda x, y, length: (x, y))
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(steps))
    return dataset.prefetch(tf.data.AUTOTUNE), steps


def serving_outputs(model, inputs, classes: list[str]) -> dict:
    """The SavedModel's outputs: "label" [B] (the predicted class name),
    "probabilities" [B, C] and "classes" [B, C] (the name of each
    probability's class, so that no config file is needed to read them),
    and, when the model attends, "attention" [B, T] (see `step_weights`)."""
    probabilities, weights = model(inputs, return_attention_scores=True, training=False)
    names = tf.constant([str(name) for name in classes])  # [C]
    batch = tf.shape(probabilities)[0]
    outputs = {"label": tf.gather(names, tf.argmax(probabilities, axis=-1)),  # [B]
               "probabilities": probabilities,  # [B, C]
               "classes": tf.tile(names[None], [batch, 1])}  # [B, C]
    weights = step_weights(weights)
    if weights is not None:
        outputs["attention"] = weights  # [B, T]
    return outputs
