"""Training: configuration, the loop (fit), inference (evaluate/predict), history, checkpoints,
schedules and the precision choice."""

from .checkpoint import CheckpointError
from .config import TrainConfig
from .history import History
from .inference import evaluate, model_inputs, predict
from .loop import TrainingDiverged, fit
from .schedule import lr_at, milestone_steps

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
