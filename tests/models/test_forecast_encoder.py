"""The forecaster's Transformer encoder is attnflow.layers.TransformerEncoderBlock; files saved before still load.

The fixtures in tests/fixtures/forecast_blocks_3f4acd3 were written at commit
3f4acd3, when the forecaster had its own ForecastEncoderBlock
(make_fixtures.py there says how).
"""

from pathlib import Path

import keras
import numpy as np
import pytest

from attnflow.layers import TransformerEncoderBlock
from attnflow.models import AttentionForecaster
from attnflow.models._forecast_encoder import ForecastEncoderBlock, encoder_block_arguments

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forecast_blocks_3f4acd3"


@pytest.fixture(scope="module")
def expected():
    return dict(np.load(FIXTURES / "expected.npz"))


def test_a_transformer_forecaster_saved_before_loads_with_the_same_forecasts(expected):
    model = keras.models.load_model(FIXTURES / "forecaster.keras")
    forecast = model({"context": expected["context"], "observed": expected["observed"]})
    np.testing.assert_allclose(np.asarray(forecast), expected["forecast"], rtol=1e-5, atol=1e-6)
    blocks = [block for member in model.member_models for block in member.encoder_layers]
    assert len(blocks) == 4 and all(isinstance(block, TransformerEncoderBlock) for block in blocks)


def test_a_bare_block_saved_before_loads_by_its_registered_name(expected):
    model = keras.models.load_model(FIXTURES / "block.keras")
    block = next(layer for layer in model.layers if isinstance(layer, ForecastEncoderBlock))
    got = model.predict([expected["block_inputs"], expected["observed"][..., 0] > 0], verbose=0)
    np.testing.assert_allclose(got, expected["block_outputs"], rtol=1e-5, atol=1e-6)
    config = block.get_config()
    assert {key: config[key] for key in ("num_heads", "intermediate_dim", "key_dim", "dropout",
                                         "attention_dropout", "norm_first", "layer_norm_epsilon", "seed")} == {
        "num_heads": 2, "intermediate_dim": 12, "key_dim": 4, "dropout": 0.1, "attention_dropout": 0.1,
        "norm_first": True, "layer_norm_epsilon": 1e-3, "seed": 4}
    assert ForecastEncoderBlock.from_config(config).get_config() == config


def test_the_encoder_blocks_are_transformer_encoder_blocks_and_save_as_such(tmp_path):
    model = AttentionForecaster(context=6, horizon=2, encoder="transformer", units=8, num_layers=2, seed=1)
    inputs = model.dummy_inputs(2)
    inputs["context"] = np.random.default_rng(0).normal(size=(2, 6, 1)).astype(np.float32)
    expected = np.asarray(model(inputs))
    assert [type(block) for block in model.encoder_layers] == [TransformerEncoderBlock] * 2
    want = encoder_block_arguments(8, 2, 0.1, None)
    config = model.encoder_layers[0].get_config()
    assert {key: config[key] for key in want if key != "seed"} == {k: v for k, v in want.items() if k != "seed"}
    assert config["activation"] == "gelu"
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert [type(block) for block in loaded.encoder_layers] == [TransformerEncoderBlock] * 2
    np.testing.assert_allclose(np.asarray(loaded(inputs)), expected, rtol=1e-6)


def test_unobserved_steps_are_never_attended_to_but_still_attend():
    block = TransformerEncoderBlock(**encoder_block_arguments(8, 2, 0.0, None))
    x = np.random.default_rng(1).normal(size=(1, 5, 8)).astype(np.float32)
    step_observed = np.array([[True, False, True, True, False]])
    _, weights = block(x, attention_mask=step_observed[:, None, :], return_attention_scores=True)
    weights = weights.numpy()  # [1, H, L, L]
    assert np.all(weights[..., [1, 4]] == 0.0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-6)  # every row, unobserved queries too
