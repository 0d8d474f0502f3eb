"""Texts with each word shaded by its attention weight: in the terminal, and as HTML.

Every weighted word is shaded on one scale per text, from no shade at
weight 0 to full shade at the text's largest weight, by the square root of
its share of that weight (sqrt(w / max)), so that a word of weight 0.02
beside one of 0.5 is still visibly shaded (0.2) and the order of the
weights is the order of the shades. A legend gives the weight of five
shades of the scale, and the top words are listed with their weights. A word
that carries no weight (punctuation alone, or cut off after the model's last
token) is given the weight None and left plain.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Sequence

import numpy as np

from attnflow._validation import fail

SHADE_RGB = (255, 140, 0)  # orange, readable behind dark and light text alike
LEGEND_SHADES = (0.0, 0.25, 0.5, 0.75, 1.0)
TOP_WORDS = 5  # words listed with their weights beside each text


def shades(weights: Sequence[float | None]) -> list[float | None]:
    """Each weight's shade in [0, 1]: sqrt(w / the largest weight) (see the
    module docstring; None stays None, all-zero weights give 0)."""
    present = [float(w) for w in weights if w is not None]
    for value in present:
        if not np.isfinite(value) or value < 0:
            fail("finite attention weights >= 0", weights=list(weights))
    largest = max(present, default=0.0)
    return [None if w is None else float(np.sqrt(float(w) / largest)) if largest > 0 else 0.0
            for w in weights]


def legend(weights: Sequence[float | None]) -> list[tuple[float, float]]:
    """(shade, weight) of the scale's `LEGEND_SHADES`: the weight a shade stands for
    in this text (weight = shade**2 * the largest weight)."""
    largest = max((float(w) for w in weights if w is not None), default=0.0)
    return [(shade, shade * shade * largest) for shade in LEGEND_SHADES]


def top_words(words: Sequence[str], weights: Sequence[float | None],
              count: int = TOP_WORDS) -> list[tuple[str, float]]:
    """The `count` words of largest weight, largest first, with their weights."""
    ranked = sorted(((float(w), -number, word) for number, (word, w) in
                     enumerate(zip(words, weights)) if w is not None), reverse=True)
    return [(word, weight) for weight, _, word in ranked[:count]]


def _terminal_colour(shade: float):
    from rich.color import Color

    red, green, blue = (int(round(255 - shade * (255 - c))) for c in SHADE_RGB)
    return Color.from_rgb(red, green, blue)


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
    from rich.style import Style
    from rich.text import Text

    text = Text()
    for number, (word, shade) in enumerate(zip(words, _check(words, weights))):
        if number:
            text.append(" ")
        if shade is None:
            text.append(word)
            continue
        text.append(word, Style(color="black", bgcolor=_terminal_colour(shade)))
    return text


def terminal_legend(weights: Sequence[float | None]):
    """A rich `Text`: the scale of this text's shades, each with the weight it stands for."""
    from rich.style import Style
    from rich.text import Text

    text = Text("scale: ")
    for number, (shade, weight) in enumerate(legend(weights)):
        if number:
            text.append(" ")
        text.append(f" {weight:.3f} ", Style(color="black", bgcolor=_terminal_colour(shade)))
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
                     f"<p>{html_highlight(words, weights)}</p>"
                     f"{_html_top_words(words, weights)}{_html_legend(weights)}</div>"
                     for caption, words, weights in texts)
    page = (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            "</title>\n<style>body { font-family: sans-serif; max-width: 50em; margin: 2em auto; }"
            " .caption, .top, .legend { color: #555; font-size: 90%; } p { line-height: 1.8; }"
            " .text { margin-bottom: 2em; }"
            " span { padding: 0.1em 0.15em; border-radius: 0.2em; }</style></head>\n"
            f"<body><h1>{html.escape(title)}</h1>\n"
            "<p class=\"legend\">Each word is shaded by its attention weight, on each text's own "
            "scale: from none at weight 0 to full at the text's largest weight, by the square "
            "root of its share of it, so small weights stay visible. Hover a word for its "
            "weight.</p>\n"
            f"{body}\n</body></html>\n")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _html_top_words(words, weights) -> str:
    top = top_words(words, weights)
    if not top:
        return ""
    shown = " · ".join(f"{html.escape(word)} {weight:.3f}" for word, weight in top)
    return f'<div class="top">top words: {shown}</div>'


def _html_legend(weights) -> str:
    if all(w is None for w in weights):
        return ""
    red, green, blue = SHADE_RGB
    swatches = " ".join(f'<span style="background-color: rgba({red}, {green}, {blue}, {shade:.3f})">'
                        f"{weight:.3f}</span>" for shade, weight in legend(weights))
    return f'<div class="legend">scale: {swatches}</div>'
