"""Words shaded by attention: shades on a visible scale, its legend, top words,
ANSI backgrounds on a terminal, HTML spans."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from attnflow.explain.text_highlight import (
    html_highlight, legend, shades, terminal_highlight, terminal_legend, top_words, write_html)

WORDS = ["tasty", "but", "far", "too", "sweet", "!"]
WEIGHTS = [0.5, 0.01, 0.05, 0.1, 0.3, None]


def test_every_weighted_word_is_shaded_by_the_root_of_its_share_of_the_largest():
    assert shades(WEIGHTS) == pytest.approx([1.0, 0.02 ** 0.5, 0.1 ** 0.5, 0.2 ** 0.5, 0.6 ** 0.5, None])
    small = shades(WEIGHTS)[1]
    assert small > 0.1  # a weight of 0.01 beside 0.5 is still visibly shaded
    assert shades([0.26, 0.25, 0.25, 0.24]) == pytest.approx([1.0, (0.25 / 0.26) ** 0.5,
                                                              (0.25 / 0.26) ** 0.5, (0.24 / 0.26) ** 0.5])
    assert shades([0.0, 0.0]) == [0.0, 0.0] and shades([None]) == [None]
    with pytest.raises(ValueError, match="finite attention weights >= 0"):
        shades([0.5, float("nan")])


def test_the_legend_gives_the_weight_of_each_shade_and_the_top_words_theirs():
    assert [shade for shade, _ in legend(WEIGHTS)] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert [weight for _, weight in legend(WEIGHTS)] == pytest.approx([0.0, 0.03125, 0.125, 0.28125, 0.5])
    for shade, weight in legend(WEIGHTS):  # the scale and the shades agree
        assert shades([weight, 0.5])[0] == pytest.approx(shade)
    assert top_words(WORDS, WEIGHTS, 3) == [("tasty", 0.5), ("sweet", 0.3), ("too", 0.1)]
    assert top_words(["a", "b"], [None, None]) == []


def test_terminal_backgrounds_follow_the_weights_with_a_legend():
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=200)
    console.print(terminal_highlight(WORDS, WEIGHTS))
    out = console.file.getvalue()
    backgrounds = re.findall(r"48;2;(\d+);(\d+);(\d+)m(\w+)", out)
    shaded = {word: (int(r), int(g), int(b)) for r, g, b, word in backgrounds}
    assert shaded["tasty"] == (255, 140, 0)  # the top word: full shade
    shade = 0.6 ** 0.5  # "sweet": 255 - shade * (255 - c) per channel
    assert shaded["sweet"] == (255, round(255 - shade * 115), round(255 - shade * 255))
    assert set(shaded) == {"tasty", "but", "far", "too", "sweet"}  # every weighted word; "!" plain
    plain = Console(file=io.StringIO(), force_terminal=False, width=200)
    plain.print(terminal_highlight(WORDS, WEIGHTS))
    plain.print(terminal_legend(WEIGHTS))
    assert plain.file.getvalue() == ("tasty but far too sweet !\n"
                                     "scale:  0.000   0.031   0.125   0.281   0.500 \n")


def test_html_spans_carry_shade_and_weight_with_a_legend_and_the_top_words(tmp_path):
    page = html_highlight(["<b>", "ok"], [0.2, 0.8])  # shade of 0.2: sqrt(0.25) = 0.5
    assert '<span style="background-color: rgba(255, 140, 0, 0.500)" title="0.2000">&lt;b&gt;</span>' in page
    assert 'rgba(255, 140, 0, 1.000)" title="0.8000">ok</span>' in page
    path = write_html(tmp_path / "out" / "a.html", [("predicted: 5", WORDS, WEIGHTS)], title="t")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "predicted: 5" in text
    assert "top words: tasty 0.500 · sweet 0.300 · too 0.100 · far 0.050 · but 0.010" in text
    assert 'class="legend">scale: ' in text and ">0.125</span>" in text
    assert "square root" in text  # the page says how to read the shades
    assert text.count('title="') == 5 and text.rstrip().endswith("</html>")
    with pytest.raises(ValueError, match="one weight \\(or None\\) per word"):
        html_highlight(["a", "b"], [1.0])
