"""Character vocabularies for character-level models."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from attnflow._validation import check_positive_int, fail


def char_vocabulary(texts: Iterable[str], max_size: int | None = None,
                    min_count: int = 1) -> list[str]:
    """The characters of `texts`, most frequent first (ties: by code point).

    The texts should already be standardized the way the model will see them
    (see `Seq2SeqAttention.standardize`), so that every character the model
    meets at inference is in the vocabulary or deliberately out of it.

    Args:
        texts: strings.
        max_size: keep at most this many characters (default: all).
        min_count: drop characters seen fewer times (default 1).

    Returns:
        A list of single characters, without duplicates.
    """
    check_positive_int("max_size", max_size, allow_none=True)
    check_positive_int("min_count", min_count)
    counts = Counter()
    for text in texts:
        counts.update(text)
    chars = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
    if not chars:
        fail("texts with at least one character", texts="(empty)")
    return chars[:max_size] if max_size else chars
