"""HTML markup out of texts before they are tokenized: tags and entities.

Reviews scraped from web pages carry `<br />`, links and `&quot;`; left in,
"br" becomes the most frequent word and "/>Thank" a token the attention
reads. `strip_markup` cleans a text in Python (training data, predict
inputs); `strip_markup_tensor` does the same in TensorFlow ops, inside the
SavedModel, so that it serves raw strings as the model was trained on them.
"""

from __future__ import annotations

import html
import re

# A tag starts with a letter, "/" or "!" ("a < b" stays text); comments may span lines.
TAG_PATTERN = r"<!--(?s:.*?)-->|</?[A-Za-z][^<>]*>|<![^<>]*>"
_TAG = re.compile(TAG_PATTERN)
# What tf.strings.split (and so TextVectorization) splits on; a no-break space becomes a space.
SPACES = "[ \t\n\r\f\v]+"
_SPACES = re.compile(SPACES)
# The entities the SavedModel decodes (TensorFlow has no html.unescape); &amp; last,
# so "&amp;lt;" gives "&lt;" as html.unescape does.
SERVING_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#34;", '"'), ("&#39;", "'"),
                    ("&apos;", "'"), ("&nbsp;", " "), ("&#160;", " "), ("&amp;", "&"))


def strip_markup(text: str) -> str:
    """`text` without HTML tags (each becomes a space), with entities decoded
    and no-break spaces made spaces, runs of spaces made one space.

    Example:
        >>> strip_markup("Great!<br /><br />Thank you &amp; <a href='x'>bye</a>")
        'Great! Thank you & bye'
    """
    text = html.unescape(_TAG.sub(" ", text)).replace("\u00a0", " ")
    return _SPACES.sub(" ", text).strip(" ")


def strip_markup_tensor(texts):
    """`strip_markup` in TensorFlow ops, for strings [B] (-> [B]).

    Decodes the entities of `SERVING_ENTITIES` (the common ones); others,
    rare in text, stay as written.
    """
    import tensorflow as tf

    texts = tf.strings.regex_replace(texts, TAG_PATTERN, " ")
    for entity, character in SERVING_ENTITIES:
        texts = tf.strings.regex_replace(texts, entity, character, replace_global=True)
    texts = tf.strings.regex_replace(texts, "\u00a0", " ")
    texts = tf.strings.regex_replace(texts, SPACES, " ")
    return tf.strings.regex_replace(texts, "^ | $", "")
