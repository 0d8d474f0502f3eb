"""Translator: the translate task from two lists of texts; runs of the dates task load as one."""

from __future__ import annotations

import numpy as np
import pytest

import attnflow

TINY = dict(epochs=2, model={"embedding_dim": 8, "encoder_units": 8, "decoder_units": 16,
                             "attention_units": 8}, options={"samples": 1}, verbose=0)
WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def pairs(count=60):
    sources = [f"{WORDS[i % 10]} {WORDS[(i * 3) % 10]}" for i in range(count)]
    return sources, [source.upper() for source in sources]


def test_fit_translate_and_attention(tmp_path):
    sources, targets = pairs()
    model = attnflow.Translator(**TINY).fit(sources, targets)
    translations = model.translate(sources[:3], beam=2)
    assert len(translations) == 3 and all(isinstance(t, str) for t in translations)
    assert model.translate(sources[:2], beam=1) == [t.text for t in model.model_.translate(sources[:2])]
    weights = model.attention(["one two"])
    assert weights[0].shape[1] == len("one two")
    np.testing.assert_allclose(weights[0].sum(axis=1), 1.0, atol=1e-4)
    assert model.evaluate()["task"] == "translate"
    loaded = attnflow.load(model.save(tmp_path / "run"))
    assert loaded.translate(sources[:3], beam=2) == translations


def test_the_dates_demo_run_loads_as_a_translator(dates_run):
    loaded = attnflow.load(dates_run)
    assert isinstance(loaded, attnflow.Translator) and loaded.config_.task == "dates"
    assert len(loaded.translate(["14 février 2013"], beam=1)) == 1
    # What the CLI refuses, Python refuses too, by the names the caller typed.
    for call in (lambda: loaded.translate([""]), lambda: loaded.attention(["  "]),
                 lambda: loaded.plot_attention("")):
        with pytest.raises(ValueError, match=r"expected non-empty texts to translate\. Received: text="):
            call()
    with pytest.raises(ValueError, match=r"expected beam to be a positive integer\. Received: beam=0$"):
        loaded.translate(["14 février 2013"], beam=0)
    with pytest.warns(UserWarning, match=r"^2 characters of the inputs never appeared in the training "
                                         r"sources and are read as unknown: '#', '@'$"):
        assert len(loaded.translate(["14 février 2013 #", "@ 3 mai 2001"])) == 2


def test_a_bad_setting_is_named_as_the_argument_and_no_scratch_file_is_named(scratch_root):
    with pytest.raises(ValueError, match=r"Received: attention_type='foo'$"):
        attnflow.Translator(attention_type="foo", **TINY).fit(*pairs())
    with pytest.raises(ValueError, match=r"expected at least 2 classes in column 'label' of the training "
                                         r"data\. Received: classes=\['pos'\]$"):
        attnflow.TextClassifier(epochs=1, verbose=0).fit(["good", "fine", "nice"], ["pos"] * 3)
    assert list(scratch_root.iterdir()) == []


@pytest.mark.parametrize("sources, targets, message", [
    (["a", "b"], ["A"], "targets of the same length as the sources \\(2\\)"),
    ("a", ["A"], "a list of texts, not one string"),
])
def test_bad_input(sources, targets, message, scratch_root):
    with pytest.raises(ValueError, match=message):
        attnflow.Translator(**TINY).fit(sources, targets)
    assert list(scratch_root.iterdir()) == []
