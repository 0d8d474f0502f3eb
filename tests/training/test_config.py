"""RunConfig: defaults <- task defaults <- file <- flags, and clear errors."""

from __future__ import annotations

import pytest

from attnflow.training.config import RunConfig, load_config_file, parse_override, resolve_config

TASK_DEFAULTS = {"task": "dates", "epochs": 4, "model": {"attention": "bahdanau", "units": 8}}


def test_later_sources_win_and_mappings_merge(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("epochs: 7\nmodel:\n  units: 16\n")
    config = resolve_config(TASK_DEFAULTS, load_config_file(path),
                            [parse_override("model.attention=none"), {"epochs": 2}])
    assert (config.task, config.epochs, config.batch_size) == ("dates", 2, 64)
    assert config.model == {"attention": "none", "units": 16}


def test_toml_and_yaml_read_the_same(tmp_path):
    (tmp_path / "a.toml").write_text('epochs = 3\nlearning_rate = 3e-3\n[options]\nsizes = [1, 2]\n')
    (tmp_path / "a.yml").write_text("epochs: 3\nlearning_rate: 3e-3\noptions: {sizes: [1, 2]}\n")
    toml, yaml = (resolve_config(TASK_DEFAULTS, load_config_file(tmp_path / name))
                  for name in ("a.toml", "a.yml"))
    assert toml == yaml and toml.learning_rate == 0.003  # YAML's "3e-3" string is a float here


def test_override_values_are_read_as_yaml():
    assert parse_override("options.locales=[en_US, fr_FR]") == {"options": {"locales": ["en_US", "fr_FR"]}}
    assert parse_override("clipnorm=null") == {"clipnorm": None}
    with pytest.raises(ValueError, match="Received: set='epochs'"):
        parse_override("epochs")


@pytest.mark.parametrize("values, name", [
    ({"epochs": -1}, "epochs"), ({"epochs": 1.5}, "epochs"), ({"optimizer": "adagrad"}, "optimizer"),
    ({"learning_rate": 0}, "learning_rate"), ({"schedule": "linear"}, "schedule"),
    ({"early_stopping": -2}, "early_stopping"), ({"model": [1]}, "model"), ({"epoch": 3}, "unknown"),
])
def test_bad_settings_name_themselves(values, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        RunConfig.from_dict({"task": "dates", **values})


def test_bad_files(tmp_path):
    with pytest.raises(ValueError, match="existing config file"):
        load_config_file(tmp_path / "missing.yaml")
    (tmp_path / "a.json").write_text("{}")
    with pytest.raises(ValueError, match=".yaml, .yml or .toml"):
        load_config_file(tmp_path / "a.json")
    (tmp_path / "bad.toml").write_text("epochs = = 3")
    with pytest.raises(ValueError, match="config file that parses"):
        load_config_file(tmp_path / "bad.toml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ValueError, match="mapping of settings"):
        load_config_file(tmp_path / "list.yaml")


def test_save_and_reload(tmp_path):
    config = resolve_config(TASK_DEFAULTS)
    config.save(tmp_path / "config.yaml")
    assert resolve_config({}, load_config_file(tmp_path / "config.yaml")) == config


def test_the_data_file_is_saved_as_an_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = resolve_config(TASK_DEFAULTS, overrides=[{"data": "sub/data.csv"}])
    config.save(tmp_path / "config.yaml")
    saved = load_config_file(tmp_path / "config.yaml")
    assert saved["data"] == str(tmp_path / "sub" / "data.csv")
    assert config.data == "sub/data.csv"  # the run itself keeps what the user wrote


def test_a_yaml_error_is_one_line_with_its_place(tmp_path):
    (tmp_path / "bad.yaml").write_text("epochs: 3\nmodel: [1,\n")
    with pytest.raises(ValueError) as raised:
        load_config_file(tmp_path / "bad.yaml")
    assert len(str(raised.value).splitlines()) == 1
    assert "at line 3, column 1" in str(raised.value)
