"""What the "dates" and "translate" tasks share: string pairs into Seq2SeqAttention."""

from __future__ import annotations

import abc
import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf

from attnflow._validation import check_non_negative_int, check_positive_int, fail
from attnflow.data.parallel import ParallelSplits
from attnflow.data.pairs_file import read_pairs
from attnflow.data.vectorize import char_vocabulary
from attnflow.models.seq2seq_attention import Seq2SeqAttention, Seq2SeqConfig
from attnflow.tasks.translation import output
from attnflow.tasks.base import Task, TrainingData, with_faithfulness
from attnflow.tasks.translation.flags import Seq2SeqFlags
from attnflow.training.config import RunConfig, merge
from attnflow.training.metrics import MaskedAccuracy, masked_loss
from attnflow.training.progress import progress_bar
from attnflow.training.text_metrics import text_metrics

BASELINES = ("no_attention",)


@dataclass
class Seq2SeqOptions:
    """Task settings shared by the seq2seq tasks (RunConfig.options)."""

    beam_width: int = 4  # beam search scored beside greedy on the test split (1: greedy only)
    length_penalty: float = 0.6  # alpha of the GNMT length penalty of beam search
    decode_batch_size: int = 256  # inputs decoded at once
    samples: int = 6  # attention heatmaps written to the run
    baselines: list = field(default_factory=list)  # "no_attention": the same model, attention "none"

    def __post_init__(self):
        for name in ("beam_width", "decode_batch_size"):
            check_positive_int(name, getattr(self, name))
        check_non_negative_int("samples", self.samples)
        if not isinstance(self.baselines, list) or not set(self.baselines) <= set(BASELINES):
            fail(f"baselines to be a list of names among {BASELINES}", baselines=self.baselines)


class Seq2SeqTask(Seq2SeqFlags, Task):
    """Pairs of strings -> Seq2SeqAttention; subclasses say where the pairs come from.
    Its flags: `attnflow.tasks.translation.flags`."""

    options_class = Seq2SeqOptions
    headline = ("exact_match", "higher")
    bleu_tokenize = "13a"  # sacrebleu tokenizer: words

    def defaults(self, chosen: dict | None = None) -> dict:
        model = dataclasses.asdict(Seq2SeqConfig())
        model.pop("max_output_length")  # from the data unless set
        return {"task": self.name, "epochs": 10, "batch_size": 128, "learning_rate": 3e-3,
                "model": model, "options": dataclasses.asdict(self.options_class())}

    def check_config(self, config: RunConfig) -> None:
        Seq2SeqConfig.from_dict(config.model)
        self.options(config)

    # -- data and model ---------------------------------------------------------

    def load_data(self, config: RunConfig, data_path: str | None = None) -> ParallelSplits:
        if data_path is not None:
            return ParallelSplits(train=[], validation=[], test=read_pairs(data_path))
        return self.load_splits(config)

    @abc.abstractmethod
    def load_splits(self, config: RunConfig) -> ParallelSplits:
        """train, validation and test pairs of the run's data."""

    def build_model(self, config: RunConfig, data: ParallelSplits) -> Seq2SeqAttention:
        model_config = Seq2SeqConfig.from_dict(config.model)
        sources = Seq2SeqAttention.standardize([s for s, _ in data.train],
                                               model_config.lowercase_source)
        targets = [t for _, t in data.train]
        if "max_output_length" not in config.model:
            longest = max(len(t) for t in targets)
            model_config.max_output_length = longest + 1 + longest // 5  # end token, some slack
        return Seq2SeqAttention(char_vocabulary(sources), char_vocabulary(targets), model_config)

    def training_data(self, model, data: ParallelSplits, config: RunConfig) -> TrainingData:
        train, steps = pair_dataset(model, data.train, config.batch_size, seed=config.seed)
        validation = pair_dataset(model, data.validation, config.batch_size)[0] \
            if data.validation else None
        return TrainingData(train, validation, steps)

    def compile_arguments(self, config: RunConfig) -> dict:
        return {"loss": masked_loss(), "metrics": [MaskedAccuracy()]}

    # -- scores -----------------------------------------------------------------

    def evaluate(self, model, data: ParallelSplits, config: RunConfig) -> dict:
        options = self.options(config)
        scores = {}
        for split, pairs in data.evaluation_splits().items():
            outputs = decode(model, [s for s, _ in pairs], options, beam_width=1, split=split)
            scores[split] = text_metrics([o.text for o in outputs], [t for _, t in pairs],
                                         self.bleu_tokenize)
        if options.beam_width > 1 and data.test:
            outputs = decode(model, [s for s, _ in data.test], options, options.beam_width, "test")
            scores[f"test_beam{options.beam_width}"] = text_metrics(
                [o.text for o in outputs], [t for _, t in data.test], self.bleu_tokenize)
        return with_faithfulness(self, scores, model, data, config, bool(data.train))

    def baselines(self, data: ParallelSplits, config: RunConfig) -> dict:
        from attnflow.training.trainer import fit_model

        results = {}
        if "no_attention" in self.options(config).baselines:
            twin = RunConfig.from_dict(merge(config.to_dict(), {"model": {"attention": "none"},
                                                                "options": {"beam_width": 1}}))
            model = fit_model(self, twin, data)
            results["no_attention"] = self.evaluate(model, ParallelSplits([], [], data.test), twin)["test"]
        return results

    def serving_endpoint(self, model):
        return model.serve, [tf.TensorSpec([None], tf.string, name="texts")]

    # -- showing ----------------------------------------------------------------

    def explain(self, model, data, config, directory: Path) -> list[Path]:
        pairs = sample_pairs(data, self.options(config).samples)
        return output.write_heatmaps(model, [source for source, _ in pairs], directory)

    def attention_examples(self, model, data, config, split="test", count=8):
        from attnflow.tasks.translation import attention_views

        return attention_views.examples(model, data, split, count)

    def faithfulness(self, model, data, config):
        from attnflow.tasks.translation import attention_views

        return attention_views.faithfulness(model, data, config)

    def summarize(self, model, data, config, console) -> None:
        output.print_samples(model, sample_pairs(data, self.options(config).samples), console)

    def predict(self, load_model, inputs: list[str], args: dict, config: RunConfig) -> None:
        output.predict(load_model, inputs, args, self.options(config))


def sample_pairs(data: ParallelSplits, count: int) -> list[tuple[str, str]]:
    """A few test pairs, and as many held-out ones (when any), the same every time."""
    picks = []
    for pairs in data.evaluation_splits().values():
        rng = np.random.default_rng(len(pairs))
        chosen = rng.choice(len(pairs), size=min(count - count // 2, len(pairs)), replace=False)
        picks += [pairs[i] for i in sorted(chosen)]
    return picks[:count]


def decode(model, texts: list[str], options, beam_width: int, split: str = ""):
    """Translations of `texts` in batches, with a progress bar on a terminal."""
    results = []
    size = options.decode_batch_size
    label = f"decoding {split} ({'greedy' if beam_width == 1 else f'beam {beam_width}'})"
    with progress_bar(len(texts), label) as advance:
        for start in range(0, len(texts), size):
            batch = texts[start:start + size]
            results += model.translate(batch, beam_width=beam_width,
                                       length_penalty=options.length_penalty)
            advance(len(batch))
    return results


def pair_dataset(model, pairs, batch_size: int, seed: int | None = None):
    """(source ids, decoder inputs) -> decoder targets batches, bucketed by source length.

    Batches hold sources of similar length (padding costs encoder steps);
    with a seed the pairs are reshuffled every epoch. Returns the dataset and
    its number of batches.
    """
    source = model.encode_source([s for s, _ in pairs])  # [N, S]
    target_in, target_out = model.encode_target([t for _, t in pairs])  # [N, T]
    source_lengths = tf.reduce_sum(tf.cast(source != 0, tf.int32), axis=-1)  # [N]
    target_lengths = tf.reduce_sum(tf.cast(target_out != 0, tf.int32), axis=-1)  # [N]
    lengths = source_lengths.numpy()
    boundaries = sorted({int(q) + 1 for q in np.quantile(lengths, [1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6])})
    buckets = np.bincount(np.searchsorted(boundaries, lengths, side="right"))
    batches = int(sum(math.ceil(n / batch_size) for n in buckets))
    dataset = tf.data.Dataset.from_tensor_slices(
        (source, source_lengths, target_in, target_out, target_lengths))
    if seed is not None:
        dataset = dataset.shuffle(len(pairs), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(lambda s, sl, ti, to, tl: (s[:sl], ti[:tl], to[:tl]))
    dataset = dataset.bucket_by_sequence_length(
        lambda s, ti, to: tf.shape(s)[0], boundaries, [batch_size] * (len(boundaries) + 1))
    dataset = dataset.map(lambda s, ti, to: ((s, ti), to))
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    return dataset.prefetch(tf.data.AUTOTUNE), batches
