"""What every gdlab torch estimator shares: settings, seeding, device, batching, saving.

A torch estimator is a scikit-learn estimator that mixes in
:class:`TorchEstimatorMixin`, lists the common training settings
(:data:`TRAINING_PARAMS`) among its own keyword-only ``__init__`` parameters
(explicitly, so that scikit-learn's ``get_params`` and ``clone`` see them),
stores them with ``self._set_training_params(locals())``, and
implements ``_build_module()``, which builds its ``torch.nn.Module`` from the
hyper-parameters and the fitted shape attributes (``n_features_in_``,
``classes_``, ...). Training goes through :meth:`TorchEstimatorMixin._train`,
i.e. through the one :class:`gdlab.nn.Trainer`; saving through the tensor
protocol of :mod:`gdlab.persistence` is inherited. A classifier whose network
outputs class logits also mixes in :class:`LogitClassifierMixin` and
implements ``_logits(X)``; ``predict_log_proba``, ``predict_proba`` and
``predict`` follow from it.
"""

from __future__ import annotations

import contextlib
import copy
import inspect

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from gdlab._validation import (
    check_feature_magnitude,
    check_magnitude,
    check_random_state,
    check_X,
)
from gdlab.base import SettingGroupsMixin
from gdlab.bayes import log_normalize
from gdlab.nn.training import TrainConfig, Trainer, resolve_device

__all__ = ["RECIPE_PARAMS", "TRAINING_PARAMS", "LogitClassifierMixin", "StandardizedLogitsMixin",
           "TorchEstimatorMixin", "check_standardizable", "load_init_state", "standardization"]

#: Constructor parameters every torch estimator has, passed to :class:`TrainConfig`.
TRAINING_PARAMS = ("max_epochs", "batch_size", "lr", "weight_decay", "validation_fraction",
                   "patience", "device", "random_state", "verbose")
#: Training settings of :class:`TrainConfig` that an estimator passes on when its
#: ``__init__`` takes them (the language models do): the learning-rate schedule,
#: its warm-up and the numeric precision.
RECIPE_PARAMS = ("lr_schedule", "warmup", "precision")


def standardization(X: np.ndarray, *, per_feature: bool = True,
                    estimator=None) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, scale)`` that standardize the rows of X, as every gdlab network does.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    per_feature : bool, default=True
        One mean and scale per feature, or one for all features (images: the
        pixels share a scale), repeated per feature.
    estimator : object or str, optional
        The model being fitted, named in the error message (and its
        ``feature_names_in_``, when it has them, name the column).

    Returns
    -------
    mean, scale : ndarray of shape (n_features,), float64
        A constant feature (standard deviation below 1e-12 of its magnitude)
        gets scale 1 instead of a division by zero.

    Raises
    ------
    ValueError
        When a column holds a value beyond
        :data:`gdlab._validation.MAX_ABS_SQUARED` (1e150) in magnitude: its
        variance would overflow (a scale of inf turns every standardized value
        into 0 and training into nonsense), so such data is refused here, before
        any training, naming the column.

    Examples
    --------
    >>> mean, scale = standardization(np.array([[0.0, 5.0], [2.0, 5.0]]))
    >>> mean.tolist(), scale.tolist()
    ([1.0, 5.0], [1.0, 1.0])
    """
    X = np.asarray(X)
    check_magnitude("standardization" if estimator is None else estimator, X,
                    feature_names=getattr(estimator, "feature_names_in_", None))
    if per_feature:
        mean, std = X.mean(axis=0, dtype=np.float64), X.std(axis=0, dtype=np.float64)
    else:
        mean = np.full(X.shape[1], X.mean(dtype=np.float64))
        std = np.full(X.shape[1], X.std(dtype=np.float64))
    return mean, np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)


def check_standardizable(estimator, X) -> None:
    """Refuse rows a network fitted with :func:`standardization` cannot take at predict time.

    The same limit as in fit (:data:`gdlab._validation.MAX_ABS_SQUARED`): a
    larger value, standardized and cast to the network's float32, is inf and
    the outputs NaN.

    Parameters
    ----------
    estimator : estimator
        Named in the message (with its ``feature_names_in_``).
    X : ndarray of shape (n_samples, n_features)
        Validated numeric rows.

    Raises
    ------
    ValueError
        Naming the first column with a value beyond the limit.
    """
    check_feature_magnitude(estimator, X)


def load_init_state(module: torch.nn.Module, init_state, estimator=None) -> torch.nn.Module:
    """Load pretrained weights into named parts of a freshly built network, in place.

    Parameters
    ----------
    module : torch.nn.Module
    init_state : mapping of str to dict of str to torch.Tensor
        ``{submodule name: state dict}``; the name is a dotted path as
        :meth:`torch.nn.Module.get_submodule` reads it (``"body"``,
        ``"body.net.0"``), ``""`` for the whole module. Each state dict must
        fit its submodule exactly (``strict=True``); tensors are copied.
    estimator : object or str, optional
        Named in error messages.

    Returns
    -------
    torch.nn.Module
        ``module``.

    Raises
    ------
    ValueError
        A name that is no submodule, or weights that do not fit it (missing or
        unexpected keys, other shapes).

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> pretrained = torch.nn.Linear(2, 3)
    >>> _ = load_init_state(net, {"0": pretrained.state_dict()})
    >>> bool(torch.equal(net[0].weight, pretrained.weight))
    True
    """
    who = estimator if isinstance(estimator, str) or estimator is None \
        else type(estimator).__name__
    who = "" if who is None else f"{who}: "
    if not hasattr(init_state, "items"):
        raise TypeError(f"{who}init_state must map submodule names to state dicts, got "
                        f"{type(init_state).__name__}.")
    for name, state in init_state.items():
        try:
            part = module.get_submodule(name)
        except AttributeError as err:
            raise ValueError(f"{who}init_state names {name!r}, which is not a part of "
                             f"{type(module).__name__}.") from err
        try:
            part.load_state_dict(state, strict=True)
        except RuntimeError as err:
            raise ValueError(f"{who}pretrained weights do not fit {name or 'the network'!r}: "
                             f"{err}") from err
    return module


@contextlib.contextmanager
def seeded(seed: int, device: torch.device):
    """Seed torch inside the block and restore the global random state after it."""
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        yield


class TorchEstimatorMixin(SettingGroupsMixin):
    """Shared plumbing of gdlab's torch estimators (see the module docstring).

    Fitted attributes set by :meth:`_train`: ``module_`` (the trained
    network, in eval mode), ``history_`` (list of per-epoch dicts of losses),
    ``device_`` (str, the torch device used), ``n_epochs_`` (epochs run),
    ``best_epoch_``.
    """

    #: Passed as the ``checkpoint_dir`` of the Trainer when set on the instance.
    checkpoint_dir = None

    # ----------------------------------------------------------- subclass API
    def _build_module(self) -> torch.nn.Module:
        raise NotImplementedError(f"{type(self).__name__} must implement _build_module().")

    # ---------------------------------------------------------------- training
    def _set_training_params(self, settings: dict) -> None:
        """Store the :data:`TRAINING_PARAMS` found in ``settings`` (see
        :meth:`gdlab.base.SettingGroupsMixin._set_params`).

        Called from ``__init__`` with ``locals()``: the one place the training
        settings are assigned; they are checked in ``fit`` (:meth:`_train_config`).
        """
        self._set_params(settings, TRAINING_PARAMS)

    def _train_config(self) -> TrainConfig:
        kwargs = {p: getattr(self, p) for p in TRAINING_PARAMS}
        # the recipe settings its __init__ takes (the signature: not every user of this
        # mixin is a scikit-learn estimator with _get_param_names)
        own = inspect.signature(type(self).__init__).parameters
        kwargs.update({p: getattr(self, p) for p in RECIPE_PARAMS if p in own})
        seed = kwargs.pop("random_state")
        kwargs["random_state"] = self._seed_from(seed)
        return TrainConfig(**kwargs)

    @staticmethod
    def _seed_from(random_state) -> int:
        """An int seed from an int, a RandomState or None."""
        if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
            if random_state < 0:
                raise ValueError(f"random_state must be >= 0, got {random_state}.")
            return int(random_state)
        return int(check_random_state(random_state).randint(0, 2**31 - 1))

    def _train(self, data, loss=None, *, step=None, optimizers=None, callbacks=(),
               resume=False, eval_loss=None, init_state=None):
        """Build the module (seeded), load any pretrained weights, train it with the one Trainer.

        Parameters
        ----------
        data : tuple of torch.Tensor (CPU), one row per training item
        loss, step, optimizers, callbacks, resume, eval_loss
            See :meth:`gdlab.nn.Trainer.fit` and :class:`gdlab.nn.Trainer`.
        init_state : mapping of str to state dict, optional
            Pretrained weights to start from (generative pretraining, then
            fine-tuning): ``{submodule name: state dict}``, each loaded strictly
            into ``module.get_submodule(name)`` (``""``: the whole module) right
            after ``_build_module()`` and before any update (see
            :func:`load_init_state`). The one way a gdlab estimator hands
            pretrained weights to its network: ``GPTClassifier`` loads a
            ``CharGPT``'s weights into ``"body"``, ``VAEPretrainClassifier`` a
            VAE's encoder into ``"body"``. Parts not named keep their seeded
            random initialization.

        Returns
        -------
        self
        """
        config = self._train_config()
        trainer = Trainer(config, callbacks=callbacks,
                          checkpoint_dir=getattr(self, "checkpoint_dir", None))
        with seeded(config.random_state, trainer.device):
            module = self._build_module()
        if init_state:
            load_init_state(module, init_state, self)
        result = trainer.fit(module, data, loss, step=step, optimizers=optimizers,
                             resume=resume, eval_loss=eval_loss)
        self.module_ = module.eval()
        self.device_ = str(result.device)
        self.history_ = result.history
        self.n_epochs_ = len(result.history)
        self.best_epoch_ = result.best_epoch
        return self

    # --------------------------------------------------------- standardization
    def _fit_standardization(self, X: np.ndarray, *, per_feature: bool = True) -> np.ndarray:
        """Learn ``mean_`` and ``scale_`` of the training rows and return them standardized.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Validated training rows.
        per_feature : bool, default=True
            As in :func:`standardization` (False: images, one scale for every pixel).

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            ``(X - mean_) / scale_``.
        """
        self.mean_, self.scale_ = standardization(X, per_feature=per_feature, estimator=self)
        return (X - self.mean_) / self.scale_

    def _standardize(self, X: np.ndarray) -> np.ndarray:
        """Rows in the units the network was trained in: ``(X - mean_) / scale_``.

        Values too large to standardize raise ``ValueError`` first
        (:func:`check_standardizable`).
        """
        check_standardizable(self, X)
        return (X - self.mean_) / self.scale_

    # ---------------------------------------------------------- sample range
    def _record_range(self, X: np.ndarray) -> None:
        """Store the per-feature range of the training rows: ``data_min_``, ``data_max_``.

        Generative networks clip their samples to it (:meth:`_clip_to_range`):
        their outputs are unbounded (a linear layer, a Gaussian observation
        model), so without it samples of bounded data (pixel intensities,
        counts, proportions) take values the data can never have.
        """
        self.data_min_ = np.asarray(X.min(axis=0), dtype=np.float64)
        self.data_max_ = np.asarray(X.max(axis=0), dtype=np.float64)

    def _clip_to_range(self, X: np.ndarray) -> np.ndarray:
        """Samples clipped, per feature, to the range seen in fit (see :meth:`_record_range`)."""
        return np.clip(X, self.data_min_, self.data_max_)

    # --------------------------------------------------------------- inference
    def _tensor(self, X, dtype=torch.float32) -> torch.Tensor:
        """A numpy array as a tensor on the fitted (or configured) device."""
        device = getattr(self, "device_", None) or resolve_device(self.device)
        return torch.as_tensor(np.asarray(X), dtype=dtype, device=device)

    @torch.no_grad()
    def _batched(self, fn, *arrays, batch_size=None) -> np.ndarray:
        """Apply ``fn(*tensor_batches) -> Tensor`` over row batches; numpy float64 result."""
        self.module_.eval()
        bs = batch_size or max(int(getattr(self, "batch_size", 256)), 256)
        n = len(arrays[0])
        outs = []
        for i in range(0, n, bs):
            parts = [a[i:i + bs] if isinstance(a, torch.Tensor) else
                     self._tensor(a[i:i + bs], dtype=torch.long if np.asarray(a).dtype.kind in "iu"
                                  else torch.float32) for a in arrays]
            outs.append(fn(*parts).detach().to("cpu", torch.float64))
        return torch.cat(outs).numpy()

    def _inference_device(self) -> torch.device:
        """The fitted device, or the CPU where it has no float64 (Apple's MPS)."""
        device = torch.device(self.device_)
        return torch.device("cpu") if device.type == "mps" else device

    def _float64_module(self, module: torch.nn.Module | None = None) -> torch.nn.Module:
        """A float64 copy, in eval mode on :meth:`_inference_device`, of ``module`` (``module_``).

        Inference runs in float64 so that a row's output does not depend on the
        other rows of its batch (float32 matrix kernels round differently for
        different batch sizes; scikit-learn's subset-invariance checks hold
        exactly) and so that scores compare with float64 densities.
        """
        module = self.module_ if module is None else module
        return copy.deepcopy(module).to(self._inference_device()).double().eval()

    def _tensor64(self, X) -> torch.Tensor:
        """A numpy array as a float64 tensor on :meth:`_inference_device`."""
        return torch.as_tensor(np.asarray(X, dtype=np.float64), device=self._inference_device())

    def _generator(self, random_state, device=None) -> torch.Generator:
        """A torch generator seeded from ``random_state``, on ``device`` (default: the module's)."""
        if device is None:
            device = getattr(self, "device_", None) or resolve_device(self.device)
        return torch.Generator(device=device).manual_seed(self._seed_from(random_state))

    def _n_parameters(self) -> int:
        return int(sum(p.numel() for p in self.module_.parameters()))

    # ------------------------------------------------------------ persistence
    def _gdlab_tensors_(self) -> dict[str, torch.Tensor]:
        """Learned tensors for :func:`gdlab.save` (the module's state dict)."""
        return {f"module_.{k}": v.detach().cpu() for k, v in self.module_.state_dict().items()}

    def _gdlab_load_tensors_(self, tensors) -> None:
        """Rebuild ``module_`` from the hyper-parameters and load the saved tensors."""
        self.device_ = str(resolve_device(self.device))
        module = self._build_module()
        state = {k.removeprefix("module_."): v for k, v in tensors.items()
                 if k.startswith("module_.")}
        try:
            module.load_state_dict(state)
        except RuntimeError as err:
            raise ValueError(f"saved tensors do not fit {type(self).__name__}: {err}") from err
        self.module_ = module.to(self.device_).eval()

    # ------------------------------------------------------- pickle / deepcopy
    def __getstate__(self):
        """State with ``module_`` as numpy arrays, so pickle, deepcopy and skops keep the weights.

        This is what lets a torch estimator nested in a meta-estimator (e.g.
        ``ClassConditional(CharGPT())``) be copied and saved with :func:`gdlab.save`.
        """
        state = super().__getstate__()
        module = state.get("module_")
        if isinstance(module, torch.nn.Module):
            state = dict(state)
            del state["module_"]
            state["_module_arrays"] = {k: v.detach().cpu().numpy().copy()
                                       for k, v in module.state_dict().items()}
        return state

    def __setstate__(self, state):
        state = dict(state)
        arrays = state.pop("_module_arrays", None)
        super().__setstate__(state)
        if arrays is not None:
            self._gdlab_load_tensors_({f"module_.{k}": torch.from_numpy(np.asarray(v))
                                       for k, v in arrays.items()})



class LogitClassifierMixin:
    """``predict_log_proba``, ``predict_proba`` and ``predict`` of a network that outputs logits.

    The one path from a discriminative network's class logits to the
    scikit-learn classifier methods: log-softmax over the classes for
    ``predict_log_proba`` (:func:`gdlab.bayes.log_normalize`, exact for any
    scale of the logits), its ``exp`` for ``predict_proba``, the arg-max for
    ``predict``. A subclass (mixed in before :class:`TorchEstimatorMixin`)
    supplies ``_logits(X, ...)``: the validated, batched forward pass (under
    ``torch.no_grad`` and eval mode, e.g. through
    :meth:`TorchEstimatorMixin._batched`) returning float64 logits of shape
    (n_samples, n_classes) in the order of ``classes_``. Further arguments
    of the three methods (the ``lengths`` of a sequence classifier) are
    passed on to ``_logits`` unchanged.
    """

    def _logits(self, X, *args, **kwargs) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement _logits(X).")

    def predict_log_proba(self, X, *args, **kwargs) -> np.ndarray:
        """Log of :meth:`predict_proba`: the log-softmax of the network's logits, in float64.

        Parameters
        ----------
        X : array-like
            The inputs, as in ``fit`` (further arguments, e.g. ``lengths`` of
            stacked sequences, as in ``fit`` too).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            log p(y=k | x), columns in the order of ``classes_``.
        """
        return log_normalize(self._logits(X, *args, **kwargs), axis=1)

    def predict_proba(self, X, *args, **kwargs) -> np.ndarray:
        """Class probabilities p(y=k | x); each row sums to one.

        Parameters
        ----------
        X : array-like
            As in :meth:`predict_log_proba`.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return np.exp(self.predict_log_proba(X, *args, **kwargs))

    def predict(self, X, *args, **kwargs) -> np.ndarray:
        """The most probable class of each input (the arg-max of the logits).

        Parameters
        ----------
        X : array-like
            As in :meth:`predict_log_proba`.

        Returns
        -------
        ndarray of shape (n_samples,)
            Entries of ``classes_``.
        """
        logits = self._logits(X, *args, **kwargs)  # checks the fitted state first
        return self.classes_[np.argmax(logits, axis=1)]

    def _draw_labels(self, X, rng) -> np.ndarray:
        """A class index per row of X drawn from :meth:`predict_proba`, one uniform each.

        How a sampler whose generator ignores the class (a semi-supervised
        GAN, an energy model sampled without ``y``) labels its draws.

        Parameters
        ----------
        X : array-like
            Rows in the units of ``fit``.
        rng : numpy.random.RandomState

        Returns
        -------
        ndarray of int of shape (n_samples,)
            Indices into ``classes_``.
        """
        proba = self.predict_proba(X)
        u = rng.random_sample(len(proba))[:, None]
        return np.minimum((np.cumsum(proba, axis=1) < u).sum(axis=1), len(self.classes_) - 1)


class StandardizedLogitsMixin(LogitClassifierMixin):
    """``_logits`` and ``embed`` of a network that reads rows standardized by ``mean_``, ``scale_``.

    Mixed in (before :class:`TorchEstimatorMixin`) by the classifiers whose
    ``module_`` maps standardized rows to class logits and has an ``embed``
    method (the features its output layer reads)
    (:class:`gdlab.models.networks.MLPClassifier`, ``CNNClassifier``,
    :class:`gdlab.models.vae_pretrain.VAEPretrainClassifier`): validation,
    standardization and a float64 forward pass, so a row's outputs do not
    depend on the other rows of its batch.
    """

    def _validated(self, X) -> np.ndarray:
        """X checked against the fit (no NaN) and standardized."""
        check_is_fitted(self, "module_")
        return self._standardize(check_X(self, X, reset=False, allow_nan=False))

    def _logits(self, X) -> np.ndarray:
        """Float64 logits of the rows of X (results do not depend on batching)."""
        rows = self._tensor64(self._validated(X))  # checks the fitted state first
        return self._batched(self._float64_module(), rows)

    def embed(self, X) -> np.ndarray:
        """The features the output layer reads: the network's last hidden activations.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, width)
            An MLP's last hidden activations (``X`` itself, standardized, for an
            MLP without hidden layers), a CNN's dense layer after its activation,
            a pretrained encoder's hidden activations or latent mean (see
            ``features`` of :class:`gdlab.models.vae_pretrain.VAEPretrainClassifier`).
        """
        rows = self._tensor64(self._validated(X))
        return self._batched(self._float64_module().embed, rows)
