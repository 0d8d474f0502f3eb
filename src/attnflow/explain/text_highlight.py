"""Texts with each word shaded by its attention weight: in the terminal, and as HTML.

A word is shaded by how much more than its even share (1/n of the weight,
for n weighted words) it receives: not at all at or below the even share,
fully at the text's largest weight, or at twice the even share when no
word gets that much, so that near-even attention reads as near-even and
not as one solid block. A word that carries no weight (punctuation alone,
or cut off after the model's last token) is given the weight None and left
plain.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Sequence

import numpy as np

from attnflow._validation import fail

SHADE_RGB = (255, 140, 0)  # orange, readable behind dark and light text alike


def shades(weights: Sequence[float | None]) -> list[float | None]:
    """Each weight's shade in [0, 1] (see the module docstring; None stays None)."""
    present = [float(w) for w in weights if w is not None]
    for value in present:
        if not np.isfinite(value) or value < 0:
            fail("finite attention weights >= 0", weights=list(weights))
    if not present:
        return [None] * len(weights)
    even = sum(present) / len(present)
    full = max(max(present), 2 * even)
    return [None if w is None else
            float(np.clip((float(w) - even) / (full - even), 0.0, 1.0)) if full > even else 0.0
            for w in weights]


def _check(words: Sequence[str], weights: Sequence[float | None]) -> list[float | None]:
    if len(words) != len(weights):
        fail("one weight (or None) per word", words=len(words), weights=len(weights))
    return shades(weights)


def terminal_highlight(words: Sequence[str], weights: Sequence[float | None]):
    """A rich `Text`: the words separated by spaces, each on a background whose
    strength is its shade (ANSI colours on a terminal, plain text elsewhere).

    Args:
        words: the words of one text.
        weights: one attention weight per word, or None for an unweighted word.

    Returns:
        rich.text.Text.
    """
    from rich.color import Color
    from rich.style import Style
    from rich.text import Text

    text = Text()
    for number, (word, shade) in enumerate(zip(words, _check(words, weights))):
        if number:
            text.append(" ")
        if shade is None or shade < 0.05:
            text.append(word)
            continue
        red, green, blue = (int(round(255 - shade * (255 - c))) for c in SHADE_RGB)
        text.append(word, Style(color="black", bgcolor=Color.from_rgb(red, green, blue)))
    return text


def html_highlight(words: Sequence[str], weights: Sequence[float | None]) -> str:
    """One text as HTML spans, each word's background as strong as its shade;
    hovering a word shows its weight."""
    spans = []
    for word, weight, shade in zip(words, weights, _check(words, weights)):
        if shade is None:
            spans.append(html.escape(word))
            continue
        red, green, blue = SHADE_RGB
        spans.append(f'<span style="background-color: rgba({red}, {green}, {blue}, {shade:.3f})" '
                     f'title="{float(weight):.4f}">{html.escape(word)}</span>')
    return " ".join(spans)


def write_html(path, texts: Sequence[tuple[str, Sequence[str], Sequence[float | None]]],
               title: str = "attention") -> Path:
    """Writes an HTML page of highlighted texts.

    Args:
        path: the .html file to write.
        texts: (caption, words, weights) per text; the caption (e.g. the
            predicted class) is printed above its text.
        title: the page title.

    Returns:
        The path written.
    """
    body = "\n".join(f'<div class="text"><div class="caption">{html.escape(caption)}</div>'
                     f"<p>{html_highlight(words, weights)}</p></div>"
                     for caption, words, weights in texts)
    page = (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            "</title>\n<style>body { font-family: sans-serif; max-width: 50em; margin: 2em auto; }"
            " .caption { color: #555; font-size: 90%; } p { line-height: 1.8; }"
            " span { padding: 0.1em 0.15em; border-radius: 0.2em; }</style></head>\n"
            f"<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
