"""Torch building blocks and the one training loop (:class:`Trainer`) of every gdlab network."""

from gdlab.nn.checkpoints import load_checkpoint, save_checkpoint
from gdlab.nn.estimator import (
    RECIPE_PARAMS,
    TRAINING_PARAMS,
    LogitClassifierMixin,
    TorchEstimatorMixin,
    load_init_state,
    seeded,
)
from gdlab.nn.layers import (
    ConvDecoder,
    ConvEncoder,
    SinusoidalEmbedding,
    check_image_shape,
    check_layer_sizes,
    mlp,
)
from gdlab.nn.training import (
    Callback,
    FreezeParameters,
    TrainConfig,
    Trainer,
    TrainResult,
    cross_entropy_loss,
    lr_factor,
    resolve_device,
)

__all__ = [
    "ConvDecoder",
    "ConvEncoder",
    "SinusoidalEmbedding",
    "check_image_shape",
    "check_layer_sizes",
    "mlp",
    "RECIPE_PARAMS",
    "TRAINING_PARAMS",
    "LogitClassifierMixin",
    "TorchEstimatorMixin",
    "load_init_state",
    "seeded",
    "Callback",
    "FreezeParameters",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "cross_entropy_loss",
    "load_checkpoint",
    "lr_factor",
    "resolve_device",
    "save_checkpoint",
]
