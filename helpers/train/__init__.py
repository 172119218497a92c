"""Training: configuration, the loop (fit/evaluate/predict), history, checkpoints, schedules."""

from .checkpoint import CheckpointError
from .config import TrainConfig
from .history import History
from .loop import TrainingDiverged, evaluate, fit, predict
from .schedule import lr_at

__all__ = ["CheckpointError", "History", "TrainConfig", "TrainingDiverged", "evaluate", "fit", "lr_at", "predict"]
