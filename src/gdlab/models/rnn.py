"""A discriminative sequence classifier: a GRU over variable-length sequences (torch).

:class:`GRUClassifier` models p(y | x) for a whole sequence x and nothing
else: it reads the frames in order with a gated recurrent unit and classifies
from the last hidden state. It is the discriminative counterpart of a
generative sequence classifier (one HMM per class, ``ClassConditional`` over
an HMM), on the same data and the same input convention:

- a list of sequences, each an array of shape ``(length_i, n_features)`` (or
  ``(length_i,)``), or
- stacked frames of shape ``(sum(lengths), n_features)`` plus ``lengths``
  (hmmlearn's convention, :mod:`gdlab.data.sequences`).

Frames are numeric vectors (standardized with the training mean and standard
deviation), or, with ``n_symbols``, one integer symbol code per frame (e.g.
character codes from :func:`gdlab.data.char_sequences`) embedded with
``torch.nn.Embedding``. Training runs through the one gdlab training loop
(:class:`gdlab.nn.Trainer`).

Examples
--------
>>> import numpy as np
>>> from gdlab.models.rnn import GRUClassifier
>>> rng = np.random.RandomState(0)
>>> X = [rng.normal(size=(5, 2)) + k for k in (0, 2) for _ in range(20)]
>>> y = [k for k in (0, 1) for _ in range(20)]
>>> clf = GRUClassifier(hidden_size=8, max_epochs=30, lr=0.02, validation_fraction=0.0,
...                     random_state=0, device="cpu").fit(X, y)
>>> clf.score(X, y) > 0.9
True
>>> clf.predict_proba(X[:2]).sum(axis=1).round(6).tolist()
[1.0, 1.0]
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from gdlab._param_checks import check_bool, check_fraction, check_int, check_positive
from gdlab._sequence_checks import check_sequences
from gdlab._validation import check_labels
from gdlab.base import CapabilityMixin
from gdlab.nn import LogitClassifierMixin, TorchEstimatorMixin, cross_entropy_loss
from gdlab.nn.classifiers import GRUNet

__all__ = ["GRUClassifier", "MAX_AUTO_SYMBOLS"]

#: Alphabet size above which ``n_symbols="auto"`` refuses a code (one per Unicode code
#: point): the embedding table has one row per code up to the largest, so a stray huge
#: code would allocate gigabytes.
MAX_AUTO_SYMBOLS = 0x110000


def _show_code(value: float) -> str:
    """A code for an error message: an int when it is one, else as a float (1e+300, 2.5)."""
    if value == np.floor(value) and abs(value) < 2**53:
        return str(int(value))
    return f"{value:g}"


class GRUClassifier(CapabilityMixin, ClassifierMixin, LogitClassifierMixin, TorchEstimatorMixin,
                    BaseEstimator):
    """Gated-recurrent-unit sequence classifier (discriminative, torch).

    Each sequence is read frame by frame by a (possibly stacked,
    bidirectional) GRU; the last hidden state (of the top layer, both
    directions) goes through a linear layer to class logits; training
    minimizes the cross-entropy with Adam through :class:`gdlab.nn.Trainer`
    (validation split with early stopping, best weights restored).

    Batches are padded and packed (``pack_padded_sequence``), so padding never
    enters the recurrence. For training the whole set is padded once to a
    tensor of shape ``(n_sequences, max_length, n_features)`` (float32), i.e.
    ``4 * n_sequences * max_length * n_features`` bytes: fine for thousands of
    sequences of hundreds of frames; for much longer sequences cut them
    first. Prediction pads batch by batch (sequences sorted by length).

    Parameters
    ----------
    n_symbols : int, "auto" or None, default=None
        None: frames are numeric vectors, standardized with the training
        mean and standard deviation of each feature. An int: each frame is
        one integer symbol code in ``range(n_symbols)`` (one column), embedded
        with ``torch.nn.Embedding``; "auto": the same with ``n_symbols`` one
        more than the largest code seen in ``fit``.
    hidden_size : int, default=32
        Size of the GRU's hidden state (per direction).
    num_layers : int, default=1
        Stacked GRU layers.
    bidirectional : bool, default=False
        Also read every sequence backwards; the classifier sees both final
        states.
    embedding_dim : int, default=16
        Size of the symbol embedding (only with ``n_symbols``).
    dropout : float in [0, 1), default=0.0
        Dropout on the final state (and between stacked GRU layers).
    grad_clip : float or None, default=1.0
        Clip the global gradient norm to this value (recurrent nets can have
        exploding gradients); None does not clip.
    max_epochs : int, default=100
    batch_size : int, default=64
    lr : float, default=3e-3
    weight_decay : float, default=0.0
    validation_fraction : float in [0, 1), default=0.1
    patience : int or None, default=10
    device : str, default="auto"
    random_state : int, RandomState or None, default=None
    verbose : bool, default=False
        The training settings of :class:`gdlab.nn.TrainConfig`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted.
    n_features_in_ : int
        Features per frame (1 with symbols).
    n_symbols_ : int or None
        Alphabet size used (None for numeric frames).
    mean_, scale_ : ndarray of shape (n_features_in_,) or None
        Standardization of numeric frames (None with symbols).
    module_ : torch.nn.Module
        The trained network. ``history_``, ``n_epochs_``, ``best_epoch_``,
        ``device_``: see :class:`gdlab.nn.TorchEstimatorMixin`.

    Notes
    -----
    ``predict``, ``predict_proba`` and ``predict_log_proba`` (from
    :class:`gdlab.nn.LogitClassifierMixin`) take ``(X, lengths=None)`` as
    :meth:`fit` does; so do :meth:`decision_function` and :meth:`score`.

    Capabilities: ``classify`` and ``sequences`` only. The GRU has no model of
    p(x), so no density, no sampling, and no missing frames: NaN in X raises
    ``ValueError``. X is not a 2-D feature table, so scikit-learn's estimator
    checks (which pass 2-D arrays) do not apply.

    Examples
    --------
    >>> import numpy as np
    >>> X = [np.array([0, 1, 0, 1, 0]), np.array([1, 1, 1]), np.array([0, 0, 1, 0])]
    >>> clf = GRUClassifier(n_symbols=2, max_epochs=2, validation_fraction=0.0,
    ...                     random_state=0, device="cpu").fit(X, ["a", "b", "a"])
    >>> clf.classes_.tolist(), clf.predict_proba(X).shape
    (['a', 'b'], (3, 2))
    """

    _gdlab_capabilities = frozenset({"classify", "sequences"})

    def __init__(self, *, n_symbols=None, hidden_size=32, num_layers=1, bidirectional=False,
                 embedding_dim=16, dropout=0.0, grad_clip=1.0, max_epochs=100, batch_size=64,
                 lr=3e-3, weight_decay=0.0, validation_fraction=0.1, patience=10,
                 device="auto", random_state=None, verbose=False):
        self.n_symbols = n_symbols
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.grad_clip = grad_clip
        self._set_training_params(locals())

    # ------------------------------------------------------------ validation
    def _check_params(self) -> None:
        """Check the model's own hyper-parameters (the training ones are checked by TrainConfig)."""
        n = self.n_symbols
        if n is not None and n != "auto":
            if isinstance(n, bool) or not isinstance(n, numbers.Integral):
                raise TypeError(f"n_symbols must be None, 'auto' or an int >= 2, got {n!r}.")
            check_int(n, "n_symbols", minimum=2)
        check_int(self.hidden_size, "hidden_size")
        check_int(self.num_layers, "num_layers")
        check_bool(self.bidirectional, "bidirectional")
        check_int(self.embedding_dim, "embedding_dim")
        check_fraction(self.dropout, "dropout")
        if self.grad_clip is not None:
            check_positive(self.grad_clip, "grad_clip")

    def _symbols(self) -> bool:
        return self.n_symbols is not None

    def _check_codes(self, seqs, n_symbols: int, *, auto: bool = False) -> list[np.ndarray]:
        """Symbol sequences as int64 code vectors, refusing anything but codes in range.

        Every code must be an integer in ``range(n_symbols)``; a fraction, a
        negative or too large code (1e300 too: it is checked before the cast
        to int64, which would wrap it) raises ``ValueError`` naming the value
        and its sequence. With ``auto`` (``n_symbols="auto"`` in fit), the
        limit is :data:`MAX_AUTO_SYMBOLS`.
        """
        name = type(self).__name__
        if seqs[0].shape[1] != 1:
            raise ValueError(f"{name} with n_symbols expects one symbol code per frame (1 "
                             f"column), got {seqs[0].shape[1]} features per frame.")
        why = (f"n_symbols='auto' takes codes up to {MAX_AUTO_SYMBOLS - 1}, one per Unicode "
               "code point; give n_symbols for a larger alphabet" if auto else "n_symbols")
        out = []
        for i, s in enumerate(seqs):
            codes = s[:, 0]
            bad = (codes != np.floor(codes)) | (codes < 0) | (codes >= n_symbols)
            if bad.any():
                raise ValueError(f"{name} expects integer symbol codes in range({n_symbols}) "
                                 f"({why}); sequence {i} has {_show_code(codes[bad][0])}.")
            out.append(codes.astype(np.int64))
        return out

    def _prepare(self, X, lengths, *, reset: bool) -> list[np.ndarray]:
        """Validated sequences, ready for padding: codes (symbols) or standardized float32."""
        seqs = check_sequences(self, X, lengths, allow_nan=False, reset=reset)
        if self._symbols():
            if reset:
                auto = self.n_symbols == "auto"
                codes = self._check_codes(seqs, MAX_AUTO_SYMBOLS if auto else
                                          int(self.n_symbols), auto=auto)
                top = int(max(c.max() for c in codes)) + 1
                self.n_symbols_ = max(top, 2) if auto else int(self.n_symbols)
                self.mean_ = self.scale_ = None
                return codes
            return self._check_codes(seqs, self.n_symbols_)
        frames = np.concatenate(seqs)
        if reset:
            self.n_symbols_ = None
            frames = self._fit_standardization(frames)
        else:
            frames = self._standardize(frames)
        ends = np.cumsum([len(s) for s in seqs])[:-1]
        return np.split(frames.astype(np.float32), ends)

    def _pad(self, seqs) -> tuple[np.ndarray, np.ndarray]:
        """Zero-padded batch (n, T) int64 codes or (n, T, d) float32, and the lengths."""
        lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
        T = int(lengths.max())
        if self._symbols():
            out = np.zeros((len(seqs), T), dtype=np.int64)
        else:
            out = np.zeros((len(seqs), T, seqs[0].shape[1]), dtype=np.float32)
        for i, s in enumerate(seqs):
            out[i, :len(s)] = s
        return out, lengths

    # ------------------------------------------------------------ torch parts
    def _build_module(self) -> nn.Module:
        return GRUNet(n_inputs=self.n_features_in_, n_classes=len(self.classes_),
                       hidden_size=int(self.hidden_size), num_layers=int(self.num_layers),
                       bidirectional=bool(self.bidirectional), dropout=float(self.dropout),
                       n_symbols=self.n_symbols_, embedding_dim=int(self.embedding_dim))

    def _train_config(self):
        config = super()._train_config()
        config.grad_clip = None if self.grad_clip is None else float(self.grad_clip)
        return config

    # ------------------------------------------------------------------- API
    def fit(self, X, y, lengths=None):
        """Train the network on labelled sequences.

        Parameters
        ----------
        X : list of array-like of shape (length_i, n_features) or (length_i,), or array-like
            The sequences, or their stacked frames of shape
            ``(sum(lengths), n_features)``. With ``n_symbols``, one integer code
            per frame.
        y : array-like of shape (n_sequences,)
            One label per sequence (any sortable labels; at least two classes).
        lengths : array-like of int, optional
            Lengths of the stacked sequences (only with stacked frames).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Bad hyper-parameters, NaN/inf frames, zero-length sequences,
            lengths that do not match X, one label count per sequence not met,
            fewer than two classes, symbol codes out of range.
        TypeError
            Non-numeric frames (e.g. strings).
        """
        self._check_params()
        seqs = self._prepare(X, lengths, reset=True)
        y, classes, y_idx = check_labels(self, y, len(seqs))
        self.classes_ = classes
        padded, lens = self._pad(seqs)
        x = torch.from_numpy(padded)
        data = (x, torch.from_numpy(lens), torch.from_numpy(y_idx.astype(np.int64)))
        return self._train(data, cross_entropy_loss)

    def _logits(self, X, lengths=None) -> np.ndarray:
        """Float64 logits of validated sequences, batched by length (little padding)."""
        check_is_fitted(self, "module_")
        seqs = self._prepare(X, lengths, reset=False)
        order = np.argsort([len(s) for s in seqs], kind="stable")  # little padding per batch
        dtype = torch.long if self._symbols() else torch.float32

        def forward(index):
            padded, lens = self._pad([seqs[i] for i in index.tolist()])
            return self.module_(self._tensor(padded, dtype), torch.from_numpy(lens))

        out = self._batched(forward, order)
        logits = np.empty_like(out)
        logits[order] = out
        return logits

    def decision_function(self, X, lengths=None) -> np.ndarray:
        """Class logits (unnormalized log-probabilities).

        Parameters
        ----------
        X, lengths
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_sequences, n_classes)
        """
        return self._logits(X, lengths)

    def score(self, X, y, sample_weight=None, lengths=None) -> float:
        """Accuracy on labelled sequences.

        Parameters
        ----------
        X : list of sequences or stacked frames
        y : array-like of shape (n_sequences,)
        sample_weight : array-like of shape (n_sequences,), optional
        lengths : array-like of int, optional
            With stacked frames.

        Returns
        -------
        float
        """
        from sklearn.metrics import accuracy_score

        pred = self.predict(X, lengths)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(pred):
            raise ValueError(f"y must have one label per sequence ({len(pred)}), got shape "
                             f"{y.shape}.")
        return float(accuracy_score(y, pred, sample_weight=sample_weight))
