"""RawTextClassifier: raw strings -> the run's TextVectorization -> a token classifier.

The "text" task trains and saves this wrapper, so that model.keras, the
SavedModel and `attnflow predict` all take raw strings: the vocabulary
travels inside the model (in its config, which also rebuilds it on resume).
"""

from __future__ import annotations

import re

import keras
import tensorflow as tf

from attnflow._validation import check_positive_int, fail

# What TextVectorization's "lower_and_strip_punctuation" removes (its own pattern),
# and the ASCII whitespace tf.strings.split splits on.
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_WORD = re.compile(r"[^ \t\n\r\f\v]+")


@keras.saving.register_keras_serializable(package="attnflow")
class RawTextClassifier(keras.Model):
    """Strings -> token ids -> a classifier that reads token ids.

    Texts are lowercased, stripped of punctuation and split on whitespace;
    each batch of ids is cut to its longest text (at most `max_length`
    tokens), so short batches cost few RNN steps.

    Args:
        classifier: a Keras model taking token ids [B, T] (id 0 = padding,
            1 = out of vocabulary), e.g. `attnflow.models.RNNWithAttention`;
            or its serialized config.
        vocabulary: the tokens of ids 0, 1, 2, ... ("" and "[UNK]" first),
            as `TextVectorization.get_vocabulary()` returns them.
        max_length: token ids kept per text (default 256).
        ngrams: as given to `attnflow.data.text.text_vectorizer` (default 1:
            words; 2: the words, then the word pairs).

    Call arguments:
        texts: strings [B].
        return_attention_scores: also return the classifier's attention
            weights (default False).
        training: whether dropout is applied.

    Returns:
        what the classifier returns: probabilities [B, C], and the weights
        when asked (their time axis is the batch's token axis).

    Example:
        >>> vectorizer = text_vectorizer(train_texts)
        >>> model = RawTextClassifier(RNNWithAttention(2, vectorizer.vocabulary_size()),
        ...                           vectorizer.get_vocabulary())
        >>> model(tf.constant(["great coffee"])).shape
        TensorShape([1, 2])
    """

    def __init__(self, classifier, vocabulary, max_length: int = 256, ngrams: int = 1, **kwargs):
        if isinstance(classifier, dict):
            classifier = keras.saving.deserialize_keras_object(classifier)
        if not isinstance(classifier, keras.Model):
            fail("a Keras model as classifier", classifier=type(classifier).__name__)
        vocabulary = [str(token) for token in vocabulary]
        if vocabulary[:2] != ["", "[UNK]"]:
            fail('a vocabulary starting with "" and "[UNK]"', vocabulary=vocabulary[:3])
        check_positive_int("max_length", max_length)
        check_positive_int("ngrams", ngrams)
        super().__init__(**kwargs)
        self.classifier = classifier
        self.vocabulary = vocabulary
        self.max_length = max_length
        self.ngrams = ngrams
        self.vectorizer = keras.layers.TextVectorization(
            vocabulary=vocabulary, output_mode="int", output_sequence_length=max_length,
            ngrams=ngrams if ngrams > 1 else None, name="vectorizer")

    def call(self, texts, return_attention_scores=False, training=None):
        ids = self.token_ids(texts)  # [B, T]
        return self.classifier(ids, return_attention_scores=return_attention_scores,
                               training=training)

    def token_ids(self, texts):
        """Token ids [B, T], T the longest text of the batch (at least 1)."""
        ids = self.vectorizer(texts)  # [B, max_length]
        lengths = tf.reduce_sum(tf.cast(tf.not_equal(ids, 0), tf.int32), axis=-1)  # [B]
        return ids[:, :tf.maximum(tf.reduce_max(lengths), 1)]

    @staticmethod
    def words_and_tokens(text: str) -> list[tuple[str, bool]]:
        """The whitespace-separated words of `text`, each with whether it
        becomes a token (a word of punctuation only does not), in order."""
        return [(word, bool(_PUNCTUATION.sub("", word.lower()))) for word in _WORD.findall(text)]

    def get_config(self):
        return {**super().get_config(),
                "classifier": keras.saving.serialize_keras_object(self.classifier),
                "vocabulary": self.vocabulary, "max_length": self.max_length, "ngrams": self.ngrams}
