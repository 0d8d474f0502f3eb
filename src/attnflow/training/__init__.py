"""The training pipeline every task shares: run config, trainer, metrics, export."""

from attnflow.training.config import RunConfig, load_config_file, resolve_config
from attnflow.training.run_dir import RunDirectory
from attnflow.training.trainer import Trainer, TrainResult, fit_model

__all__ = ["RunConfig", "RunDirectory", "TrainResult", "Trainer", "fit_model",
           "load_config_file", "resolve_config"]
