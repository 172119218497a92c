"""Training: configuration, the loop (fit), inference (evaluate/predict), history, checkpoints,
schedules and the precision choice."""

from helpers.train.checkpoint import CheckpointError
from helpers.train.config import TrainConfig
from helpers.train.history import History
from helpers.train.inference import evaluate, model_inputs, predict
from helpers.train.loop import TrainingDiverged, fit
from helpers.train.schedule import lr_at, milestone_steps

__all__ = [
    "CheckpointError",
    "History",
    "TrainConfig",
    "TrainingDiverged",
    "evaluate",
    "fit",
    "lr_at",
    "milestone_steps",
    "model_inputs",
    "predict",
]
