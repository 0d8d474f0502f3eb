"""Faithfulness: the removal test and the rank correlation on problems whose answer is known,
and the figures in metrics.json of every task's run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from attnflow.explain.faithfulness import FaithfulnessProblem, measure, normalized_entropy
from attnflow.tasks.forecast.attention_views import by_lag, weight_at_lags

KEYS = {"examples", "k_fraction", "top_k_change", "random_k_change", "top_k_over_random",
        "rank_correlation_grad_x_input", "change"}


def linear_problem(attention_is_faithful: bool, examples=20, length=30, seed=0) -> FaithfulnessProblem:
    """A 'model' whose output is the mean of the inputs it keeps, weighted by fixed importances;
    the attention is those importances, or unrelated to them."""
    rng = np.random.default_rng(seed)
    importance = [rng.dirichlet(np.full(length, 0.3)) for _ in range(examples)]
    attention = importance if attention_is_faithful else [rng.dirichlet(np.ones(length)) for _ in importance]

    def outputs(removed):
        return np.array([w[~gone].sum() for w, gone in zip(importance, removed)])

    return FaithfulnessProblem(attention, outputs, importance)


def test_faithful_attention_moves_the_output_more_than_random_removal():
    figures = measure(linear_problem(True))
    assert set(figures) == KEYS
    assert figures["examples"] == 20 and figures["k_fraction"] == 0.1
    assert figures["top_k_change"] > 3 * figures["random_k_change"] > 0
    assert figures["rank_correlation_grad_x_input"] == pytest.approx(1.0)


def test_the_figures_keep_their_digits_for_outputs_of_any_size():
    problem = linear_problem(True)
    tiny = FaithfulnessProblem(problem.attention, lambda removed: 1e-10 * problem.outputs(removed),
                               problem.attribution)
    figures, scaled = measure(problem), measure(tiny)
    assert scaled["top_k_change"] == pytest.approx(1e-10 * figures["top_k_change"], rel=1e-5)
    assert scaled["top_k_over_random"] == figures["top_k_over_random"] > 3


def test_unrelated_attention_is_no_better_than_chance():
    figures = measure(linear_problem(False))
    assert figures["top_k_change"] < 2 * figures["random_k_change"]
    assert abs(figures["rank_correlation_grad_x_input"]) < 0.2


def test_an_example_without_inputs_has_nothing_removed():
    # A text none of whose words is in the vocabulary has no attention weights at all.
    problem = FaithfulnessProblem([np.array([0.7, 0.2, 0.1]), np.array([])],
                                  lambda removed: np.array([1.0 - 0.5 * r.sum() for r in removed]),
                                  [np.array([3.0, 2.0, 1.0]), np.array([])])
    figures = measure(problem)
    assert figures["examples"] == 2
    assert figures["top_k_change"] == pytest.approx(0.25) == figures["random_k_change"]


def test_forecast_change_is_the_mean_absolute_difference():
    problem = FaithfulnessProblem([np.array([0.5, 0.3, 0.2])] * 2,
                                  lambda removed: np.array([[3.0 - r.sum()] for r in removed]),
                                  [np.array([3.0, 2.0, 1.0])] * 2, change="forecast")
    figures = measure(problem)
    assert figures["top_k_change"] == pytest.approx(1.0) == figures["random_k_change"]


def test_normalized_entropy_is_one_when_uniform_and_zero_on_one_input():
    np.testing.assert_allclose(normalized_entropy([[0.25] * 4, [1.0, 0, 0, 0]]), [1.0, 0.0], atol=1e-12)


def test_by_lag_reads_each_forecast_step_at_its_own_distance():
    weights = np.zeros((2, 3))  # H=2 forecast steps over L=3 context steps
    weights[0, 2] = 1.0  # step 1 reads the last context step: lag 1
    weights[1, 2] = 1.0  # step 2 reads it too: lag 2
    # lags 1..4, each averaged over the steps that can read it: lag 1 only step 1 (1.0), lag 2 both (0.5)
    np.testing.assert_allclose(by_lag(weights), [1.0, 0.5, 0.0, 0.0])


def test_weight_at_lags_sums_each_forecast_step_at_its_own_distance():
    weights = np.full((2, 4), 0.25)  # H=2 over L=4
    weights[1] = [0.1, 0.2, 0.3, 0.4]
    # step 1 reads lag 2 at context step 2 and lag 4 at step 0; step 2 reads them at 3 and 1
    np.testing.assert_allclose(weight_at_lags(weights, [2, 4]), [0.5, 0.4 + 0.2])
    np.testing.assert_allclose(weight_at_lags(weights, [1]), [0.25, np.nan])  # step 2 cannot read lag 1


@pytest.mark.parametrize("name", ["dates", "text_rnn", "text_transformer", "sequence", "forecast", "image"])
def test_metrics_json_of_every_task_holds_the_faithfulness_figures(task_runs, name):
    metrics = json.loads((task_runs[name] / "metrics.json").read_text())
    figures = metrics["faithfulness"]
    assert KEYS <= set(figures)
    assert figures["examples"] > 0
    assert np.isfinite(figures["top_k_change"]) and np.isfinite(figures["random_k_change"])
    if name == "forecast":
        assert len(figures["attention_entropy_per_step"]) == 6  # the run's horizon
        assert all(0.0 <= e <= 1.0 for e in figures["attention_entropy_per_step"])
        assert len(figures["top_lag_weight_per_step"]) == 6 and len(figures["seasonal_lag_weight_per_step"]) == 6
        assert all(0.0 <= w <= 1.0 for w in figures["seasonal_lag_weight_per_step"])  # monthly: lags 12, 24
