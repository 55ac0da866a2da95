"""Torch building blocks and the one training loop (:class:`Trainer`) of every gdlab network."""

from gdlab.nn.estimator import TRAINING_PARAMS, LogitClassifierMixin, TorchEstimatorMixin, seeded
from gdlab.nn.layers import (
    ConvDecoder,
    ConvEncoder,
    SinusoidalEmbedding,
    check_image_shape,
    mlp,
)
from gdlab.nn.training import (
    Callback,
    TrainConfig,
    Trainer,
    TrainResult,
    load_checkpoint,
    resolve_device,
    save_checkpoint,
)

__all__ = [
    "ConvDecoder",
    "ConvEncoder",
    "SinusoidalEmbedding",
    "check_image_shape",
    "mlp",
    "TRAINING_PARAMS",
    "LogitClassifierMixin",
    "TorchEstimatorMixin",
    "seeded",
    "Callback",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "load_checkpoint",
    "resolve_device",
    "save_checkpoint",
]
