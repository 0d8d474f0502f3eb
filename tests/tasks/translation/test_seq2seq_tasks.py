"""The dates and translate tasks: settings checked up front, the no-attention baseline."""

from __future__ import annotations

import re

import pytest

from attnflow.tasks import get_task
from attnflow.training import resolve_config

TINY = {"epochs": 1, "model": {"embedding_dim": 4, "encoder_units": 4, "decoder_units": 8,
                               "attention_units": 4},
        "options": {"train_size": 120, "validation_size": 10, "test_size": 12, "held_out_size": 10,
                    "beam_width": 1, "baselines": ["no_attention"]}}


def test_no_attention_baseline_is_trained_and_scored_on_the_same_test_split():
    task = get_task("dates")
    config = resolve_config(task.defaults(), TINY)
    task.check_config(config)
    data = task.load_data(config)
    baselines = task.baselines(data, config)
    assert list(baselines) == ["no_attention"]
    assert set(baselines["no_attention"]) == {"exact_match", "cer", "chrf", "bleu"}


@pytest.mark.parametrize("task_name, values, message", [
    ("dates", {"data": "pairs.tsv"}, "no --data for task 'dates'"),
    ("dates", {"options": {"baselines": ["tfidf"]}}, "Received: baselines=['tfidf']"),
    ("dates", {"options": {"sizes": 3}}, "Received: unknown=['sizes']"),
    ("translate", {}, "expected --data FILE"),
    ("translate", {"data": "p.tsv", "model": {"attention": "dot"}}, "Received: attention='dot'"),
])
def test_settings_are_checked_before_any_work(task_name, values, message):
    task = get_task(task_name)
    with pytest.raises(ValueError, match=re.escape(message)):
        task.check_config(resolve_config(task.defaults(), values))


def test_defaults_hold_every_model_setting_but_the_data_derived_one():
    model = get_task("dates").defaults()["model"]
    assert model["attention"] == "bahdanau" and "max_output_length" not in model
    assert get_task("translate").defaults()["model"]["lowercase_source"] is False


@pytest.mark.parametrize("task_name", ["translate", "dates"])
def test_predict_data_help_says_what_is_read(task_name):
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--data", metavar="FILE", help="inputs from a file (tasks that read one)")
    get_task(task_name).add_arguments(parser, "predict")
    text = " ".join(parser.format_help().split())
    assert "the source column as training reads it" in text and "one input per line" in text
