"""Words shaded by attention: shades, ANSI backgrounds on a terminal, HTML spans."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from attnflow.explain.text_highlight import html_highlight, shades, terminal_highlight, write_html

WORDS = ["tasty", "but", "far", "too", "sweet", "!"]
WEIGHTS = [0.5, 0.01, 0.05, 0.1, 0.3, None]


def test_shades_grow_from_the_even_share_to_the_largest_weight():
    # 5 weighted words: even share 0.192; "tasty" (the largest) full, "sweet" part-way
    even = 0.96 / 5
    assert shades(WEIGHTS) == pytest.approx([1.0, 0.0, 0.0, 0.0, (0.3 - even) / (0.5 - even), None])
    # near-even attention stays nearly unshaded: full shade needs twice the even share
    assert shades([0.26, 0.25, 0.25, 0.24]) == pytest.approx([0.04, 0.0, 0.0, 0.0])
    assert shades([0.0, 0.0]) == [0.0, 0.0] and shades([None]) == [None]
    with pytest.raises(ValueError, match="finite attention weights >= 0"):
        shades([0.5, float("nan")])


def test_terminal_backgrounds_follow_the_weights():
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=200)
    console.print(terminal_highlight(WORDS, WEIGHTS))
    out = console.file.getvalue()
    backgrounds = re.findall(r"48;2;(\d+);(\d+);(\d+)m(\w+)", out)
    shaded = {word: (int(r), int(g), int(b)) for r, g, b, word in backgrounds}
    assert shaded["tasty"] == (255, 140, 0)  # the top word: full shade
    shade = (0.3 - 0.192) / (0.5 - 0.192)  # "sweet": 255 - shade * (255 - c) per channel
    assert shaded["sweet"] == (255, round(255 - shade * 115), round(255 - shade * 255))
    assert set(shaded) == {"tasty", "sweet"}  # the others: at most their even share, or unweighted
    plain = Console(file=io.StringIO(), force_terminal=False, width=200)
    plain.print(terminal_highlight(WORDS, WEIGHTS))
    assert plain.file.getvalue() == "tasty but far too sweet !\n"


def test_html_spans_carry_shade_and_weight(tmp_path):
    page = html_highlight(["<b>", "ok"], [0.2, 0.8])  # even share 0.5, full shade at 1.0
    assert '<span style="background-color: rgba(255, 140, 0, 0.000)" title="0.2000">&lt;b&gt;</span>' in page
    assert 'rgba(255, 140, 0, 0.600)" title="0.8000">ok</span>' in page
    path = write_html(tmp_path / "out" / "a.html", [("predicted: 5", WORDS, WEIGHTS)], title="t")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "predicted: 5" in text
    assert text.count("<span") == 5 and text.rstrip().endswith("</html>")
    with pytest.raises(ValueError, match="one weight \\(or None\\) per word"):
        html_highlight(["a", "b"], [1.0])
