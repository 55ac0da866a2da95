"""The one training loop every gdlab network uses.

:class:`Trainer` runs mini-batch training of a ``torch.nn.Module`` on tensors:
device placement through Lightning Fabric (CUDA when present, else CPU, or
what ``device`` names), seeding, a seeded validation split with early
stopping on the validation loss (best weights restored), a rich progress bar,
a per-epoch ``history`` of every logged loss term, callbacks, and checkpoints
(safetensors for tensors, JSON for the rest; :mod:`gdlab.nn.checkpoints`)
that a later ``fit`` resumes from exactly: the batch order of an epoch
depends only on the seed and the epoch, and torch's random state is saved
with the weights.

A model plugs in with a *loss function* ``loss(module, batch) -> Tensor`` (or
a dict of tensors holding ``"loss"`` plus other terms to log), where ``batch``
is the tuple of tensors of one mini-batch, already on the device. Models with
several optimizers (a GAN) pass ``optimizers`` and a *step function*
``step(module, batch, optimizers, backward) -> dict[str, float]`` that does
its own updates; ``backward(loss)`` must be used instead of
``loss.backward()``.

Examples
--------
>>> import torch
>>> from gdlab.nn import Trainer, TrainConfig
>>> torch.manual_seed(0)  # doctest: +ELLIPSIS
<torch._C.Generator object at ...>
>>> X = torch.randn(64, 3); y = X @ torch.tensor([1.0, -2.0, 0.5])
>>> net = torch.nn.Linear(3, 1)
>>> mse = lambda m, b: ((m(b[0]).squeeze(1) - b[1]) ** 2).mean()
>>> result = Trainer(TrainConfig(max_epochs=60, lr=0.05, random_state=0)).fit(net, (X, y), mse)
>>> result.history[-1]["val_loss"] < 0.01
True
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from gdlab._param_checks import check_fraction, check_int, check_positive
from gdlab.nn.checkpoints import load_checkpoint, save_checkpoint, saved_seed

__all__ = [
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "Callback",
    "FreezeParameters",
    "resolve_device",
    "weight_decay_groups",
    "cross_entropy_loss",
    "lr_factor",
    "LR_SCHEDULES",
    "PRECISIONS",
]

#: Learning-rate schedules of :class:`TrainConfig` (see :func:`lr_factor`).
LR_SCHEDULES = ("constant", "cosine")
#: Numeric precisions of :class:`TrainConfig`: full float32, bfloat16 autocast
#: (float32 weights and optimizer), or bfloat16 where the device supports it.
PRECISIONS = ("32", "bf16", "auto")
#: The cosine schedule ends at this fraction of ``lr`` (nanoGPT's ``min_lr = lr / 10``).
MIN_LR_RATIO = 0.1


def resolve_device(device="auto") -> torch.device:
    """The torch device for a ``device`` argument.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:N", "mps"} or torch.device
        ``"auto"`` takes CUDA when available, else Apple's MPS, else the CPU.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        An unknown name, or a device that is not available here.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        dev = device
    elif not isinstance(device, str):
        raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}.")
    elif device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    else:
        try:
            dev = torch.device(device)
        except RuntimeError as err:
            raise ValueError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got "
                             f"{device!r}.") from err
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} but CUDA is not available on this machine; "
                             "use device='auto' or 'cpu'.")
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        if index >= torch.cuda.device_count():
            raise ValueError(f"device={device!r} but only {torch.cuda.device_count()} CUDA "
                             "devices exist.")
        return torch.device("cuda", index)
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) is not None
                                  and torch.backends.mps.is_available()):
        raise ValueError(f"device={device!r} but MPS is not available on this machine.")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device type {dev.type!r} is not supported; use 'auto', 'cpu', "
                         "'cuda' or 'mps'.")
    return dev


@dataclass
class TrainConfig:
    """Settings of one training run.

    Parameters
    ----------
    max_epochs : int, default=100
    batch_size : int, default=128
    lr : float, default=1e-3
        Learning rate of the default optimizer (Adam / AdamW).
    weight_decay : float, default=0.0
        AdamW's decoupled weight decay (0 gives plain Adam), on weight matrices
        and kernels only, not on biases or normalization scales
        (:func:`weight_decay_groups`).
    validation_fraction : float in [0, 1), default=0.1
        Fraction of the rows held out (seeded) to monitor the loss: the
        ``floor(n_rows * validation_fraction)`` rows of a seeded permutation. 0
        trains on all rows and early stopping is off; so does a data set too
        small to hold out one row (fewer than ``1 / validation_fraction``
        rows, e.g. a tiny class of a per-class model), whose ``history`` then
        has no ``val_`` entries.
    patience : int or None, default=10
        Stop when the validation loss has not improved for this many epochs
        (the best weights are restored). None: never stop early.
    grad_clip : float or None, default=None
        Clip the global gradient norm to this value.
    device : str or torch.device, default="auto"
        See :func:`resolve_device`.
    random_state : int or None, default=None
        Seeds the split, the batch order and torch's random draws (dropout,
        noise) during training; None draws a seed.
    verbose : bool, default=False
        Show a rich progress bar with the losses.
    lr_schedule : {"constant", "cosine"}, default="constant"
        ``"cosine"`` decays every optimizer's learning rate along a half cosine
        from ``lr`` to ``lr / 10`` at the last step of ``max_epochs`` (after
        the warm-up); see :func:`lr_factor`.
    warmup : float in [0, 1), default=0.0
        Fraction of the ``max_epochs`` steps over which the learning rate
        rises linearly from ``lr / n_warmup`` to ``lr`` (with either schedule).
    precision : {"32", "bf16", "auto"}, default="32"
        ``"bf16"`` runs the forward passes under bfloat16 autocast (Lightning
        Fabric's ``"bf16-mixed"``: weights, gradients and optimizer state
        stay float32); ``"auto"`` does so on a CUDA device that supports
        bfloat16 and keeps float32 elsewhere (on a CPU it is ``"32"``).
    """

    max_epochs: int = 100
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    validation_fraction: float = 0.1
    patience: int | None = 10
    grad_clip: float | None = None
    device: object = "auto"
    random_state: int | None = None
    verbose: bool = False
    lr_schedule: str = "constant"
    warmup: float = 0.0
    precision: str = "32"

    def __post_init__(self):
        check_int(self.max_epochs, "max_epochs", minimum=1)
        check_int(self.batch_size, "batch_size", minimum=1)
        check_positive(self.lr, "lr")
        check_positive(self.weight_decay, "weight_decay", allow_zero=True)
        check_fraction(self.validation_fraction, "validation_fraction")
        if self.patience is not None:
            check_int(self.patience, "patience", minimum=1)
        if self.grad_clip is not None:
            check_positive(self.grad_clip, "grad_clip")
        if self.random_state is not None:
            check_int(self.random_state, "random_state", minimum=0)
        for name, value, allowed in (("lr_schedule", self.lr_schedule, LR_SCHEDULES),
                                     ("precision", self.precision, PRECISIONS)):
            if not isinstance(value, str) or value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, "
                                 f"got {value!r}.")
        check_fraction(self.warmup, "warmup")

    @property
    def schedules_lr(self) -> bool:
        """Whether the learning rate changes during training (a schedule or a warm-up)."""
        return self.lr_schedule != "constant" or self.warmup > 0

    def to_json(self) -> dict:
        """JSON-safe dict of the settings (the device as a string)."""
        d = asdict(self)
        d["device"] = str(self.device)
        return d


@dataclass
class TrainResult:
    """What :meth:`Trainer.fit` returns.

    Attributes
    ----------
    history : list of dict
        One dict per epoch: ``epoch``, ``seconds``, ``train_<term>`` for every
        logged term (``train_loss`` always) and ``val_<term>`` with a
        validation split.
    best_epoch : int
        Epoch whose weights the module holds (the last one without validation).
    stopped_early : bool
    device : torch.device
    """

    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))


class Callback:
    """Base class of training callbacks; override any hook.

    Hooks receive the :class:`Trainer`; ``on_epoch_end`` also the epoch's
    history entry and may return True to stop training.
    """

    def on_train_begin(self, trainer: Trainer) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, trainer: Trainer, logs: dict) -> bool | None:
        """Called after each epoch (after validation); return True to stop."""

    def on_train_end(self, trainer: Trainer, result: TrainResult) -> None:
        """Called once after training."""


class FreezeParameters(Callback):
    """Hold the parameters of named submodules fixed for the first ``epochs`` epochs.

    Fine-tuning a pretrained part (an encoder, a language model body) with a
    fresh head: while the head is random its gradients would push the
    pretrained weights around, so they are frozen first. The parameters get
    ``requires_grad=False`` when training begins, so they receive no gradient
    and torch's optimizers (Adam, AdamW, their weight decay included) leave
    them unchanged; after epoch ``epochs`` (or when training ends earlier)
    ``requires_grad`` is restored and they train with the rest.

    Parameters
    ----------
    names : str or sequence of str
        Dotted submodule names of the trained module
        (:meth:`torch.nn.Module.get_submodule`), e.g. ``"body"``.
    epochs : int
        Frozen epochs; 0 freezes nothing.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    >>> before = net[0].weight.detach().clone()
    >>> X, y = torch.randn(32, 2), torch.randn(32)
    >>> mse = lambda m, b: ((m(b[0]).squeeze(1) - b[1]) ** 2).mean()
    >>> config = TrainConfig(max_epochs=2, validation_fraction=0.0, random_state=0)
    >>> _ = Trainer(config, callbacks=[FreezeParameters("0", 2)]).fit(net, (X, y), mse)
    >>> bool(torch.equal(net[0].weight, before)), net[0].weight.requires_grad
    (True, True)
    """

    def __init__(self, names, epochs: int):
        self.names = (names,) if isinstance(names, str) else tuple(names)
        self.epochs = check_int(epochs, "freeze epochs", minimum=0)
        self._frozen: list = []

    def on_train_begin(self, trainer: Trainer) -> None:
        self._frozen = []
        if self.epochs == 0 or trainer.epoch >= self.epochs:
            return
        for name in self.names:
            for p in trainer.module.get_submodule(name).parameters():
                if p.requires_grad:
                    p.requires_grad_(False)
                    self._frozen.append(p)

    def _release(self) -> None:
        for p in self._frozen:
            p.requires_grad_(True)
        self._frozen = []

    def on_epoch_end(self, trainer: Trainer, logs: dict) -> None:
        if trainer.epoch >= self.epochs:
            self._release()

    def on_train_end(self, trainer: Trainer, result: TrainResult) -> None:
        self._release()


def _fabric_precision(device: torch.device, precision: str) -> str:
    """Lightning Fabric's name of :class:`TrainConfig`'s ``precision`` on ``device``."""
    if precision == "auto":
        bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
        precision = "bf16" if bf16 else "32"
    return "bf16-mixed" if precision == "bf16" else "32-true"


def _fabric(device: torch.device, precision: str = "32"):
    """A single-device Lightning Fabric for ``device`` (``precision`` as in TrainConfig)."""
    import lightning_fabric

    accelerator = {"cuda": "cuda", "mps": "mps"}.get(device.type, "cpu")
    devices = [device.index] if device.type == "cuda" else 1
    return lightning_fabric.Fabric(accelerator=accelerator, devices=devices,
                                   precision=_fabric_precision(device, precision))


def lr_factor(step: int, total: int, schedule: str = "constant", warmup: float = 0.0) -> float:
    """The multiple of the base learning rate at optimizer step ``step`` of ``total``.

    A linear warm-up over the first ``n_warmup = ceil(warmup * total)`` steps
    (step ``s`` gets ``(s + 1) / n_warmup``), then 1 (``"constant"``) or a half
    cosine from 1 down to :data:`MIN_LR_RATIO` at the last step (``"cosine"``),
    as nanoGPT's ``get_lr``.

    Parameters
    ----------
    step : int
        0-based index of the update.
    total : int
        Updates in the whole run (``max_epochs`` times the batches of an epoch).
    schedule : {"constant", "cosine"}
    warmup : float in [0, 1)

    Returns
    -------
    float in (0, 1]

    Examples
    --------
    >>> [round(lr_factor(s, 10, "cosine", warmup=0.2), 3) for s in range(10)]
    [0.5, 1.0, 1.0, 0.955, 0.831, 0.65, 0.45, 0.269, 0.145, 0.1]
    """
    n_warmup = math.ceil(warmup * total)
    if step < n_warmup:
        return (step + 1) / n_warmup
    if schedule == "constant":
        return 1.0
    span = max(total - 1 - n_warmup, 1)
    progress = min(max(step - n_warmup, 0) / span, 1.0)
    return MIN_LR_RATIO + (1.0 - MIN_LR_RATIO) * 0.5 * (1.0 + math.cos(math.pi * progress))


def weight_decay_groups(params, weight_decay: float) -> list[dict]:
    """AdamW parameter groups that decay only the weight matrices and kernels.

    As nanoGPT's ``configure_optimizers``: parameters of two or more
    dimensions (linear and convolution weights, embeddings) are decayed;
    biases and normalization scales (1-D) are not, since shrinking them
    toward zero is no regularization, only a bias.

    Parameters
    ----------
    params : iterable of torch.nn.Parameter
        Those without ``requires_grad`` are left out.
    weight_decay : float

    Returns
    -------
    list of dict
        Non-empty groups for ``torch.optim.AdamW``: the decayed parameters
        with ``weight_decay``, then the others with ``weight_decay=0``.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
    >>> [(len(g["params"]), g["weight_decay"]) for g in weight_decay_groups(net.parameters(), 0.1)]
    [(1, 0.1), (3, 0.0)]
    """
    params = [p for p in params if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": float(weight_decay)},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return [g for g in groups if g["params"]]


def _default_optimizers(module, config):
    if config.weight_decay > 0:
        return [torch.optim.AdamW(weight_decay_groups(module.parameters(), config.weight_decay),
                                  lr=config.lr)]
    return [torch.optim.Adam([p for p in module.parameters() if p.requires_grad], lr=config.lr)]


def cross_entropy_loss(module: torch.nn.Module, batch) -> torch.Tensor:
    """The loss of a classifier network for :meth:`Trainer.fit`: mean cross-entropy of its logits.

    Parameters
    ----------
    module : torch.nn.Module
        Maps a batch's inputs (B, ...) to class logits (B, K).
    batch : tuple of (*inputs, y)
        What ``module`` reads (rows; or padded sequences and their lengths,
        token ids and their attention mask), then the class indices (B,)
        (long).

    Returns
    -------
    torch.Tensor
        A scalar.

    Examples
    --------
    >>> net = torch.nn.Bilinear(2, 3, 4)  # a module of two inputs
    >>> x1, x2, y = torch.zeros(5, 2), torch.zeros(5, 3), torch.zeros(5, dtype=torch.long)
    >>> float(cross_entropy_loss(net, (x1, x2, y))) == float(
    ...     torch.nn.functional.cross_entropy(net(x1, x2), y))
    True
    """
    *inputs, y = batch
    return torch.nn.functional.cross_entropy(module(*inputs), y)


def _as_terms(out) -> dict[str, torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return {"loss": out}
    if isinstance(out, dict) and "loss" in out:
        return out
    raise TypeError(f"the loss function must return a scalar tensor or a dict with 'loss', "
                    f"got {type(out).__name__}.")


class Trainer:
    """Mini-batch training with early stopping, checkpoints and callbacks.

    Parameters
    ----------
    config : TrainConfig
    callbacks : sequence of Callback, optional
    checkpoint_dir : str or Path, optional
        After every epoch the module, optimizer states, history and settings
        are written there (:func:`gdlab.nn.checkpoints.save_checkpoint`).
    """

    def __init__(self, config: TrainConfig | None = None, *, callbacks: Sequence = (),
                 checkpoint_dir=None):
        self.config = TrainConfig() if config is None else config
        self.callbacks = list(callbacks)
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.device = resolve_device(self.config.device)
        self.module = None
        self.optimizers = []
        self.epoch = 0

    # ------------------------------------------------------------------ helpers
    def _split(self, n: int, generator: torch.Generator):
        """Seeded (train, validation) row indices; no validation rows when n * fraction < 1."""
        n_val = int(math.floor(n * self.config.validation_fraction))  # < n: fraction < 1
        perm = torch.randperm(n, generator=generator)
        return perm[n_val:], perm[:n_val]

    def _batches(self, index: torch.Tensor, generator, shuffle: bool, device=None):
        if shuffle:
            index = index[torch.randperm(len(index), generator=generator)]
        if device is not None:
            index = index.to(device)  # one transfer per epoch, then slices on the device
        bs = self.config.batch_size
        return [index[i:i + bs] for i in range(0, len(index), bs)]

    # ------------------------------------------------------------------- fit
    def fit(self, module: torch.nn.Module, data: Sequence[torch.Tensor],
            loss: Callable | None = None, *, step: Callable | None = None,
            optimizers: Callable | None = None, resume: bool = False,
            eval_loss: Callable | None = None) -> TrainResult:
        """Train ``module`` in place on the tensors of ``data``.

        Parameters
        ----------
        module : torch.nn.Module
            Moved to the device in place.
        data : sequence of torch.Tensor
            Tensors with the same first dimension (rows), e.g. ``(X, y)``.
            They are moved to the device once; batches are index slices.
        loss : callable, optional
            ``loss(module, batch) -> Tensor or dict`` (see the module
            docstring). Required unless ``step`` is given; also scores the
            validation split.
        step : callable, optional
            ``step(module, batch, optimizers, backward) -> dict[str, float]``
            for models that update several optimizers themselves.
        optimizers : callable, optional
            ``optimizers(module) -> list[torch.optim.Optimizer]``; default Adam
            over all parameters (AdamW with ``weight_decay``, which decays
            only the parameters of two or more dimensions: see
            :func:`weight_decay_groups`).
        resume : bool, default=False
            Continue from the checkpoint in ``checkpoint_dir`` (its epoch,
            weights, optimizer states and history).
        eval_loss : callable, optional
            ``eval_loss(module, batch) -> Tensor or dict`` for the validation
            split (default ``loss``).

        Returns
        -------
        TrainResult
        """
        if loss is None and step is None:
            raise TypeError("Trainer.fit needs a loss function or a step function.")
        data = tuple(data)
        if not data or any(not isinstance(t, torch.Tensor) for t in data):
            raise TypeError("data must be a non-empty sequence of torch tensors.")
        n = data[0].shape[0]
        if any(t.shape[0] != n for t in data):
            raise ValueError(f"all tensors in data need the same number of rows, got "
                             f"{[t.shape[0] for t in data]}.")
        if n == 0:
            raise ValueError("no rows to train on.")
        if resume and self.checkpoint_dir is None:
            raise ValueError("resume=True needs checkpoint_dir.")
        cfg = self.config
        seed = (int(np.random.SeedSequence().generate_state(1)[0])
                if cfg.random_state is None else cfg.random_state)
        if resume:  # the split and batch order of the interrupted run: its seed
            seed = saved_seed(self.checkpoint_dir, seed)
        generator = torch.Generator().manual_seed(seed)
        fabric = _fabric(self.device, cfg.precision)
        fork_devices = [self.device.index] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(seed)
            module.to(self.device)
            opts = (optimizers or (lambda m: _default_optimizers(m, cfg)))(module)
            if not isinstance(opts, (list, tuple)) or not opts:
                raise TypeError("optimizers(module) must return a non-empty list of optimizers.")
            wrapped, *opts = fabric.setup(module, *opts)
            self.module, self.optimizers = module, list(opts)
            train_idx, val_idx = self._split(n, generator)
            steps_per_epoch = math.ceil(len(train_idx) / cfg.batch_size)
            if cfg.schedules_lr:
                for opt in self.optimizers:  # the base rates the schedule multiplies
                    for group in opt.param_groups:
                        group.setdefault("initial_lr", group["lr"])
            data = tuple(fabric.to_device(t) for t in data)
            device = data[0].device
            result = TrainResult(device=self.device)
            start_epoch = 0
            best = (math.inf, None)
            if resume:
                state = load_checkpoint(self.checkpoint_dir, module, self.optimizers)
                result.history = state["history"]
                start_epoch = state["epoch"]
                if state.get("best_val") is not None and state.get("best_state"):
                    best = (state["best_val"], state["best_state"])
                result.best_epoch = state.get("best_epoch", start_epoch)
            for cb in self.callbacks:
                cb.on_train_begin(self)
            evaluate = eval_loss or loss
            bad_epochs = int(state.get("bad_epochs", 0)) if resume else 0
            progress = _progress(cfg.verbose)
            task = progress.add_task("training", total=cfg.max_epochs,
                                     completed=start_epoch) if progress else None
            try:
                for epoch in range(start_epoch, cfg.max_epochs):
                    self.epoch = epoch + 1
                    t0 = time.perf_counter()
                    wrapped.train()
                    sums: dict = {}
                    seen = 0
                    # the batch order of an epoch depends on (seed, epoch) only, so a resumed
                    # run sees the same batches as an uninterrupted one
                    generator.manual_seed((seed * 100_003 + epoch) % 2**63)
                    batches = self._batches(train_idx, generator, shuffle=True, device=device)
                    for i, idx in enumerate(batches):
                        if cfg.schedules_lr:
                            self._set_lr(epoch * steps_per_epoch + i,
                                         cfg.max_epochs * steps_per_epoch)
                        batch = tuple(t[idx] for t in data)
                        if step is not None:
                            terms = step(wrapped, batch, self.optimizers, fabric.backward)
                        else:
                            terms = self._update(wrapped, batch, loss, fabric)
                        # summed on the device; read back once per epoch (no per-batch sync)
                        for k, v in terms.items():
                            v = v.detach() if isinstance(v, torch.Tensor) else float(v)
                            sums[k] = sums.get(k, 0.0) + v * len(idx)
                        seen += len(idx)
                    logs = {"epoch": epoch + 1}
                    logs.update({f"train_{k}": float(v) / seen for k, v in sums.items()})
                    if len(val_idx) and evaluate is not None:
                        logs.update(self._validate(wrapped, data, val_idx, evaluate))
                    logs["seconds"] = time.perf_counter() - t0
                    if not all(math.isfinite(v) for k, v in logs.items() if k != "epoch"):
                        raise FloatingPointError(
                            f"training diverged at epoch {epoch + 1}: {logs}; lower lr.")
                    result.history.append(logs)
                    stop = False
                    if "val_loss" in logs:
                        if logs["val_loss"] < best[0]:
                            best = (logs["val_loss"], copy.deepcopy(module.state_dict()))
                            result.best_epoch = epoch + 1
                            bad_epochs = 0
                        else:
                            bad_epochs += 1
                            stop = cfg.patience is not None and bad_epochs >= cfg.patience
                    else:
                        result.best_epoch = epoch + 1
                    if self.checkpoint_dir is not None:
                        save_checkpoint(self.checkpoint_dir, module, self.optimizers,
                                        epoch=epoch + 1, history=result.history,
                                        config=cfg.to_json(),
                                        best_val=None if best[1] is None else best[0],
                                        best_epoch=result.best_epoch, best_state=best[1],
                                        seed=seed, bad_epochs=bad_epochs)
                    for cb in self.callbacks:
                        stop = bool(cb.on_epoch_end(self, logs)) or stop
                    if progress:
                        shown = {k: round(v, 4) for k, v in logs.items() if k.endswith("loss")}
                        progress.update(task, advance=1, description=f"training {shown}")
                    if stop:
                        result.stopped_early = epoch + 1 < cfg.max_epochs
                        break
            finally:
                if progress:
                    progress.stop()
            if best[1] is not None:
                module.load_state_dict(best[1])
            module.eval()
        for cb in self.callbacks:
            cb.on_train_end(self, result)
        return result

    def _set_lr(self, step: int, total: int) -> None:
        """Every optimizer's rate at update ``step`` of ``total`` (:func:`lr_factor`)."""
        factor = lr_factor(step, total, self.config.lr_schedule, self.config.warmup)
        for opt in self.optimizers:
            for group in opt.param_groups:
                group["lr"] = group["initial_lr"] * factor

    def _update(self, wrapped, batch, loss, fabric) -> dict[str, float]:
        terms = _as_terms(loss(wrapped, batch))
        for opt in self.optimizers:
            opt.zero_grad(set_to_none=True)
        fabric.backward(terms["loss"])
        if self.config.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.module.parameters(), self.config.grad_clip)
        for opt in self.optimizers:
            opt.step()
        return {k: v.detach() for k, v in terms.items()}

    @torch.no_grad()
    def _validate(self, wrapped, data, val_idx, evaluate) -> dict[str, float]:
        wrapped.eval()
        sums: dict = {}
        for idx in self._batches(val_idx, None, shuffle=False, device=data[0].device):
            batch = tuple(t[idx] for t in data)
            for k, v in _as_terms(evaluate(wrapped, batch)).items():
                v = v.detach() if isinstance(v, torch.Tensor) else float(v)
                sums[k] = sums.get(k, 0.0) + v * len(idx)
        return {f"val_{k}": float(v) / len(val_idx) for k, v in sums.items()}


def _progress(verbose: bool):
    if not verbose:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        transient=False)
    progress.start()
    return progress
