"""Bad input over every registry model, each with its own kind of input.

One cell per (model, kind of bad input). Each cell expects exactly one outcome,
written in the tables below rather than "either":

- ``"error"``: a ``ValueError`` or ``TypeError`` (never ``IndexError``,
  ``RuntimeError``, ``ZeroDivisionError``, a ``LinAlgError`` from inside the
  math, ...) whose message says what was wrong (:data:`MESSAGE`): the check
  that refuses the input, not a failure part-way through the work;
- ``"valid"``: the model fits (where the cell fits) and its output is valid:
  finite probabilities of shape (n, n_classes) summing to one and predictions
  among ``classes_`` (a density model: finite log-densities).

Settings are tiny (one epoch, a few hidden units, 30 items) so the whole matrix
runs in seconds; a guard fails a cell that hangs (as liblinear did on 1e300)
instead of blocking the run.
"""

from __future__ import annotations

import contextlib
import faulthandler
import functools
import os
import signal
import warnings

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import gdlab
from gdlab.capability_tags import input_kind
from gdlab.models.registry import available, make, spec

NAMES = sorted(available().name)

# -- tiny settings: the matrix tests validation, not learning ------------------

_GPT_TINY = {"context_length": 16, "d_model": 8, "n_head": 2, "n_layer": 1, "max_epochs": 1}

TINY = {
    "random-forest": {"n_estimators": 3},
    "hist-gb": {"max_iter": 3},
    "logreg": {"clf__Cs": 2},
    "mlp": {"clf__hidden_layer_sizes": (4,), "clf__max_iter": 3, "clf__early_stopping": False},
    "gmm-classifier": {"max_iter": 5},
    "gmm-bic-classifier": {"max_components": 2, "max_iter": 5},
    "hmm-gmm": {"density__max_iter": 3},
    "hmm-categorical": {"density__max_iter": 3},
    "gru": {"hidden_size": 4, "max_epochs": 1},
    "gru-chars": {"hidden_size": 4, "embedding_dim": 4, "max_epochs": 1},
    "cvae": {"hidden": (8,), "max_epochs": 1},
    "vae-class-conditional": {"density__hidden": (8,), "density__max_epochs": 1},
    "m2-vae": {"hidden": (8,), "max_epochs": 1},
    "ss-gan": {"hidden": (8,), "generator_hidden": (8,), "latent_dim": 2, "max_epochs": 1},
    "cgan": {"hidden": (8, 8), "latent_dim": 2, "max_epochs": 1},
    "diffusion": {"hidden_sizes": (8, 8), "n_steps": 10, "n_elbo_steps": 2, "max_epochs": 1,
                  "time_embedding_dim": 8},
    "diffusion-conv": {"channels": 4, "hidden_sizes": (8, 8, 8), "n_steps": 10,
                       "n_elbo_steps": 2, "max_epochs": 1, "time_embedding_dim": 8},
    "torch-mlp": {"hidden_sizes": (8,), "max_epochs": 1},
    "cnn": {"channels": 2, "hidden_size": 8, "max_epochs": 1},
    "jem": {"hidden_sizes": (8,), "max_epochs": 1, "buffer_size": 50, "sample_steps": 2},
    "jem-cnn": {"channels": 2, "hidden_size": 8, "max_epochs": 1, "buffer_size": 50,
                "sample_steps": 2},
    "char-gpt": {**_GPT_TINY},
    "gpt-class-conditional": {f"density__{k}": v for k, v in _GPT_TINY.items()},
    "gpt-label-prefix": {**_GPT_TINY},
    "gpt-classifier": {**_GPT_TINY},
    "gpt-pretrain-finetune": {**_GPT_TINY, "pretrain_epochs": 1},
    "encoder": {**_GPT_TINY},
    "encoder-mlm-finetune": {**_GPT_TINY, "pretrain_epochs": 1},
}


def _make(name):
    return make(name, **TINY.get(name, {}))


# -- each model's own kind of input ---------------------------------------------

SYMBOLS = ("hmm-categorical", "gru-chars")  # sequences of integer symbol codes
CATEGORICAL = ("categorical-nb",)  # integer codes, one category set per column
FRAMES = ("mixed-nb",)  # a DataFrame of numeric and string (category) columns


@functools.cache
def _caps(name) -> frozenset:
    """Capability tags of a fresh registry model (cached: collection builds each once)."""
    return frozenset(gdlab.capabilities(make(name)))


def _kind(name) -> str:
    """``rows``, ``images``, ``frames``, ``sequences``, ``symbols`` or ``texts``."""
    kind = input_kind(make(name))
    if name in FRAMES:
        return "frames"
    if kind == "sequence":
        return "symbols" if name in SYMBOLS else "sequences"
    if kind == "text":
        return "texts"
    return "images" if spec(name).modality == ("image",) else "rows"


KIND = {name: _kind(name) for name in NAMES}
Y = np.repeat([0, 1, 2], 10)


def _train(kind):
    """30 items of three classes, 10 each."""
    rng = np.random.RandomState(0)
    if kind in ("rows", "images"):
        X = np.minimum(rng.poisson(1.0, (30, 4)) + Y[:, None] * np.array([1, 0, 2, 0]), 4)
        X = X.astype(np.float64)
        return np.tile(X, 16) if kind == "images" else X
    if kind == "sequences":
        return [rng.normal(loc=k, size=(6 + i % 3, 2)) for i, k in enumerate(Y)]
    if kind == "symbols":
        return [rng.randint(0, 3 + k, size=(6 + i % 3, 1)) for i, k in enumerate(Y)]
    if kind == "frames":
        import pandas as pd

        colours = np.array(["red", "green", "blue"])
        return pd.DataFrame({"x0": rng.normal(size=30) + Y, "x1": rng.normal(size=30),
                             "colour": colours[(Y + rng.randint(0, 2, 30)) % 3]})
    words = [["cat", "hat", "mat", "sat"], ["dog", "fog", "log", "bog"],
             ["sun", "fun", "run", "bun"]]
    return [" ".join(rng.choice(words[k], size=3 + i % 3)) for i, k in enumerate(Y)]


def _supervised(model) -> bool:
    return bool({"classify", "conditional_sample"} & gdlab.capabilities(model))


def _fit(model, X, y=Y, **kwargs):
    return model.fit(X, y, **kwargs) if _supervised(model) else model.fit(X, **kwargs)


def _assert_valid(model, X, n=None):
    """Finite probabilities summing to one and predictions among ``classes_``."""
    caps = gdlab.capabilities(model)
    n = len(X) if n is None else n
    if "classify" in caps:
        proba = np.asarray(model.predict_proba(X))
        assert proba.shape == (n, len(model.classes_))
        assert np.isfinite(proba).all(), proba
        assert (proba >= 0).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-5)
        assert np.isin(model.predict(X), model.classes_).all()
    if {"density", "density_bound", "unnormalized_density"} & caps:
        scores = np.asarray(model.score_samples(X))
        assert scores.shape == (n,) and np.isfinite(scores).all(), scores
    if "conditional_sample" in caps and "classify" not in caps:  # a GAN: it can sample
        Xs, ys = model.sample(4, random_state=0)
        assert np.isfinite(Xs).all() and np.isin(ys, model.classes_).all()


# -- the cells: what is wrong with the input, per kind of input -------------------


def _with(X, value, at=(0, 1)):
    """A copy of tabular X (or of the first sequence of a list) holding ``value``."""
    if isinstance(X, list):
        first = np.array(X[0], dtype=object if isinstance(value, str) else np.float64)
        first[at[0], at[1] % first.shape[1]] = value
        return [first, *X[1:]]
    X = np.array(X, dtype=object if isinstance(value, str) else np.float64)
    X[at] = value
    return X


def _nan_y():
    y = Y.astype(np.float64)
    y[0] = np.nan
    return y


def _constant(X):
    if isinstance(X, list):
        if X[0].dtype.kind in "iu":  # symbols: every frame the same symbol
            return [np.ones_like(s) for s in X]
        return [np.c_[s[:, :1], np.full(len(s), 2.0)] for s in X]
    X = np.array(X)
    X[:, 1] = 2.0
    return X


# phase "fit": (X, y) or (X, y, fit keyword arguments) to fit on, then the output on
# the training X is checked; phase "predict": X given to a model fitted on the clean
# training data; phase "calls" (below): a sequence of partial_fit calls.
NUMERIC_CELLS = {
    "nan_fit": ("fit", lambda X: (_with(X, np.nan), Y)),
    "inf_fit": ("fit", lambda X: (_with(X, np.inf), Y)),
    "string_fit": ("fit", lambda X: (_with(X, "red"), Y)),
    "empty_fit": ("fit", lambda X: (X[:0], Y[:0])),
    "one_class_fit": ("fit", lambda X: (X, np.zeros_like(Y))),
    "nan_in_y_fit": ("fit", lambda X: (X, _nan_y())),
    "short_y_fit": ("fit", lambda X: (X, Y[:-1])),
    "huge_fit": ("fit", lambda X: (_with(X, 1e300), Y)),
    "constant_feature_fit": ("fit", lambda X: (_constant(X), Y)),
    "nan_predict": ("predict", lambda X: _with(X[:5], np.nan)),
    "inf_predict": ("predict", lambda X: _with(X[:5], np.inf)),
    "string_predict": ("predict", lambda X: _with(X[:5], "red")),
    "empty_predict": ("predict", lambda X: X[:0]),
    "huge_predict": ("predict", lambda X: _with(X[:5], 1e300)),
}

ROW_CELLS = {
    **NUMERIC_CELLS,
    "one_d_fit": ("fit", lambda X: (X[:, 0], Y)),
    "zero_features_fit": ("fit", lambda X: (X[:, :0], Y)),
    "wrong_n_features_predict": ("predict", lambda X: X[:5, :-1]),
    "one_d_predict": ("predict", lambda X: X[0]),
}

IMAGE_CELLS = {
    **ROW_CELLS,
    "non_square_image_fit": ("fit", lambda X: (X[:, :-1], Y)),
}

SEQUENCE_CELLS = {
    **NUMERIC_CELLS,
    "lengths_mismatch_fit": ("fit", lambda X: (np.concatenate(X), Y,
                                                {"lengths": [len(s) + 1 for s in X]})),
    "one_d_fit": ("fit", lambda X: (np.concatenate(X)[:, 0], Y)),
    "zero_features_fit": ("fit", lambda X: ([s[:, :0] for s in X], Y)),
    "wrong_n_features_predict": ("predict", lambda X: [np.c_[s, s] for s in X[:5]]),
    "one_d_predict": ("predict", lambda X: np.concatenate(X[:5])[:, 0]),
}

SYMBOL_CELLS = {
    **SEQUENCE_CELLS,
    "unseen_symbol_predict": ("predict", lambda X: _with(X[:5], 9)),
    "fractional_symbol_fit": ("fit", lambda X: (_with(X, 1.5), Y)),
    "fractional_symbol_predict": ("predict", lambda X: _with(X[:5], 1.5)),
    "negative_symbol_predict": ("predict", lambda X: _with(X[:5], -1)),
}


def _frame_with(X, column, value, n=5):
    X = X.iloc[:n].copy()
    if isinstance(value, str):  # a numeric column holding a string is an object column
        X[column] = X[column].astype(object)
    X.loc[X.index[0], column] = value
    return X


FRAME_CELLS = {
    "nan_fit": ("fit", lambda X: (_frame_with(X, "x0", np.nan, 30), Y)),
    "nan_category_fit": ("fit", lambda X: (_frame_with(X, "colour", np.nan, 30), Y)),
    "inf_fit": ("fit", lambda X: (_frame_with(X, "x0", np.inf, 30), Y)),
    "empty_fit": ("fit", lambda X: (X.iloc[:0], Y[:0])),
    "one_class_fit": ("fit", lambda X: (X, np.zeros_like(Y))),
    "nan_in_y_fit": ("fit", lambda X: (X, _nan_y())),
    "short_y_fit": ("fit", lambda X: (X, Y[:-1])),
    "huge_fit": ("fit", lambda X: (_frame_with(X, "x1", 1e300, 30), Y)),
    "constant_feature_fit": ("fit", lambda X: (X.assign(x1=2.0, colour="red"), Y)),
    "one_d_fit": ("fit", lambda X: (X["x0"], Y)),
    "zero_features_fit": ("fit", lambda X: (X[[]], Y)),
    "nan_predict": ("predict", lambda X: _frame_with(X, "x0", np.nan)),
    "nan_category_predict": ("predict", lambda X: _frame_with(X, "colour", np.nan)),
    "inf_predict": ("predict", lambda X: _frame_with(X, "x0", np.inf)),
    "string_predict": ("predict", lambda X: _frame_with(X, "x0", "red")),
    "empty_predict": ("predict", lambda X: X.iloc[:0]),
    "huge_predict": ("predict", lambda X: _frame_with(X, "x1", 1e300)),
    "unseen_category_predict": ("predict", lambda X: _frame_with(X, "colour", "purple")),
    "wrong_n_features_predict": ("predict", lambda X: X.iloc[:5, :-1]),
    "renamed_feature_predict": ("predict", lambda X: X.iloc[:5].rename(columns={"x1": "z"})),
    "one_d_predict": ("predict", lambda X: X.iloc[0]),
}

CATEGORY_CELLS = {
    **ROW_CELLS,
    "unseen_category_predict": ("predict", lambda X: _with(X[:5], 9)),
    "fractional_category_fit": ("fit", lambda X: (_with(X, 1.5), Y)),
}


def _texts_with(X, item):
    return [item, *X[1:]]


TEXT_CELLS = {
    "nan_fit": ("fit", lambda X: (_texts_with(X, np.nan), Y)),
    "number_fit": ("fit", lambda X: (_texts_with(X, 7), Y)),
    "empty_fit": ("fit", lambda X: ([], Y[:0])),
    "one_class_fit": ("fit", lambda X: (X, np.zeros_like(Y))),
    "nan_in_y_fit": ("fit", lambda X: (X, _nan_y())),
    "short_y_fit": ("fit", lambda X: (X, Y[:-1])),
    "bare_str_fit": ("fit", lambda X: (X[0], Y)),
    "two_d_fit": ("fit", lambda X: (np.array(X).reshape(15, 2), Y)),
    "empty_text_fit": ("fit", lambda X: (_texts_with(X, ""), Y)),
    "constant_fit": ("fit", lambda X: (["cat hat"] * len(X), Y)),
    "nan_predict": ("predict", lambda X: _texts_with(X[:5], np.nan)),
    "number_predict": ("predict", lambda X: _texts_with(X[:5], 7)),
    "empty_predict": ("predict", lambda X: []),
    "bare_str_predict": ("predict", lambda X: X[0]),
    "two_d_predict": ("predict", lambda X: np.array(X[:4]).reshape(2, 2)),
    "empty_text_predict": ("predict", lambda X: _texts_with(X[:5], "")),
    "unseen_chars_predict": ("predict", lambda X: _texts_with(X[:5], "zyx qwv \u2603")),
    # NUL, a lone surrogate (not encodable as UTF-8), an emoji outside the BMP
    "odd_chars_predict": ("predict", lambda X: ["a\x00b", "ab\ud800", "cat \U0001f600", *X[:2]]),
    "bytes_predict": ("predict", lambda X: _texts_with(X[:5], b"cat hat")),
}

CELLS = {"rows": ROW_CELLS, "images": IMAGE_CELLS, "sequences": SEQUENCE_CELLS,
         "symbols": SYMBOL_CELLS, "texts": TEXT_CELLS, "frames": FRAME_CELLS}


def _half(X):
    return X.iloc[::2] if hasattr(X, "iloc") else X[::2]


#: Incremental learning (the ``partial_fit`` tag): a sequence of calls on one model.
PARTIAL_FIT_CELLS = {
    "partial_fit_without_classes": ("calls", lambda X: [(X, Y, {})]),
    "partial_fit_new_class": ("calls", lambda X: [(X, Y, {"classes": [0, 1, 2]}),
                                                  (X[:3], np.full(3, 7), {})]),
    "partial_fit_changed_classes": ("calls", lambda X: [(X, Y, {"classes": [0, 1, 2]}),
                                                        (X, Y, {"classes": [0, 1, 2, 3]})]),
    "partial_fit_wrong_n_features": ("calls", lambda X: [
        (X, Y, {"classes": [0, 1, 2]}),
        (X.iloc[:, :-1] if hasattr(X, "iloc") else X[:, :-1], Y, {})]),
    "partial_fit_in_two_batches": ("calls", lambda X: [(_half(X), Y[::2], {"classes": [0, 1, 2]}),
                                                       (X, Y, {})]),
}


def _cells_of(name):
    cells = CATEGORY_CELLS if name in CATEGORICAL else CELLS[KIND[name]]
    if "partial_fit" in _caps(name):
        cells = {**cells, **PARTIAL_FIT_CELLS}
    if _use_kind(name) is None:  # nothing takes X after fit (a GAN): fit cells only
        cells = {c: v for c, v in cells.items() if v[0] == "fit"}
    if not {"classify", "conditional_sample"} & _caps(name):  # a density of X alone: no y
        cells = {c: v for c, v in cells.items()
                 if c not in ("one_class_fit", "nan_in_y_fit", "short_y_fit")}
    return cells


def _use_kind(name):
    caps = _caps(name)
    if "classify" in caps:
        return "proba"
    if {"density", "density_bound"} & caps:
        return "density"
    return None


_FITTED = {}


def _fitted(name):
    """The model fitted on clean training data (cached: predict cells share it)."""
    if name not in _FITTED:
        _FITTED[name] = _fit(_make(name), _train(KIND[name]))
    return _FITTED[name]


def run_cell(name, cell):
    """Run one cell; raises what the model raises, or AssertionError for invalid output."""
    phase, build = _cells_of(name)[cell]
    X = _train(KIND[name])
    if phase == "fit":
        X_bad, y_bad, *kwargs = build(X)  # (X, y) or (X, y, fit keyword arguments)
        model = _make(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _fit(model, X_bad, y_bad, **(kwargs[0] if kwargs else {}))
        _assert_valid(model, X_bad if cell.startswith(("nan", "constant")) else X)
    elif phase == "calls":
        model = _make(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for X_call, y_call, kwargs in build(X):
                model.partial_fit(X_call, y_call, **kwargs)
        _assert_valid(model, X)
    else:
        model = _fitted(name)
        X_bad = build(X)
        n = 1 if cell == "one_d_predict" else None  # symbols: one 1-D sequence
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _assert_valid(model, X_bad, n)


# -- the expected outcome of every cell ---------------------------------------------

#: Cells whose expected outcome is a valid output for every model that has them;
#: every other cell expects an error unless a model is listed in VALID below.
VALID_FOR_ALL = {
    "constant_feature_fit",  # a constant column is data, not an error
    "constant_fit",  # identical texts in every class
    "unseen_category_predict",  # categorical naive Bayes reserves an "unseen" bucket
    "unseen_chars_predict",  # language models have <unk>; vectorizers drop unknown n-grams
    "odd_chars_predict",  # any str is a text: NUL, lone surrogates, astral characters
    "empty_text_predict",  # log p("") is p(end of text); a vectorizer gives a zero row
    "partial_fit_in_two_batches",  # what partial_fit is for: the control cell
}

#: NaN marks a missing entry for models with the ``missing_features`` tag.
VALID_IF_MISSING = {"nan_fit", "nan_predict", "nan_category_fit", "nan_category_predict"}

#: Model-specific valid outputs, each with its reason. Every cell not listed (and not in
#: VALID_FOR_ALL / VALID_IF_MISSING) expects a ValueError or TypeError.
VALID = {
    # binarized at a threshold: any finite value is 0 or 1
    "bernoulli-nb": {"huge_fit", "huge_predict"},
    # counts enter linearly (x * log p), nothing is squared
    "multinomial-nb": {"huge_fit", "huge_predict"},
    "complement-nb": {"huge_fit", "huge_predict"},
    # the blends of these two: the same densities (the multinomial blend's gradient
    # multiplies counts, so it refuses training counts above 1e150)
    "blend-bernoulli-nb": {"huge_fit", "huge_predict"},
    "blend-multinomial-nb": {"huge_predict"},
    # a code never seen at fit falls in the reserved "unseen" bucket
    "categorical-nb": {"huge_predict"},
    # histogram bins: +-inf and 1e300 land in the outermost bins
    "hist-gb": {"inf_fit", "inf_predict", "huge_fit", "huge_predict"},
    # a conditional GAN with one class is an unconditional GAN
    "cgan": {"one_class_fit"},
    # an empty text is a zero row of counts
    "ngram-multinomial-nb": {"empty_text_fit"},
    "ngram-logreg": {"empty_text_fit"},
    "ngram-linear-svm": {"empty_text_fit"},
    "nbsvm": {"empty_text_fit"},
    "char-ngram-logreg": {"empty_text_fit"},
    # a sequence of symbol codes may be given as one 1-D array
    "hmm-categorical": {"one_d_predict"},
    "gru-chars": {"one_d_predict"},
}

#: What an error message must mention, by cell: it says what was wrong.
MESSAGE = {
    "nan": r"(?i)nan|missing",
    "inf": r"(?i)inf",
    "string": r"(?i)str|convert|numeric|dtype",
    "empty": r"(?i)0 sample|no (sequences|texts)|empty",
    "one_class": r"(?i)class",
    "nan_in_y": r"(?i)nan",
    "short_y": r"(?i)inconsistent|labels|samples|length",
    "huge_fit": r"(?i)1e\+300|magnitude|too large|overflow",  # names what came
    "huge_predict": r"(?i)1e\+300|magnitude|too large|overflow|support|symbol",
    "one_d": r"(?i)1d|1-d|2d|2-d|shape|per frame|labels",
    "lengths": r"(?i)lengths",
    "non_square": r"(?i)square|image",
    "renamed": r"(?i)feature names",
    "partial_fit_without": r"(?i)classes",
    "partial_fit_new": r"(?i)classes|labels",
    "partial_fit_changed": r"(?i)classes",
    "partial_fit_wrong": r"(?i)feature",
    "zero_features": r"(?i)0 feature|zero feature|features per frame|0 columns",
    "wrong_n_features": r"(?i)feature",
    "unseen": r"(?i)symbol|alphabet|range|categor",
    "fractional": r"(?i)integer",
    "negative": r"(?i)negative|range",
    "number": r"(?i)str",
    "bytes": r"(?i)str",
    "bare_str": r"(?i)list of texts|single str",
    "two_d": r"(?i)1-d|shape",
    "empty_text": r"(?i)empty",
}


def expected(name, cell) -> str:
    """``"valid"`` or ``"error"``: the one outcome the cell must give."""
    if cell in VALID_FOR_ALL or cell in VALID.get(name, ()):
        return "valid"
    if (cell in VALID_IF_MISSING and KIND[name] != "texts"
            and "missing_features" in _caps(name)):
        return "valid"
    return "error"


def _message_pattern(cell):
    for key in sorted(MESSAGE, key=len, reverse=True):  # "nan_in_y" before "nan"
        if cell.startswith(key):
            return MESSAGE[key]
    raise KeyError(cell)


#: Cells that must still fail (none today): (model, cell) -> reason, run as strict xfails.
XFAIL: dict[tuple[str, str], str] = {}

# -- a guard so that a hang (liblinear given 1e300 ran for minutes) fails fast -------

TIMEOUT_S = 60


@pytest.fixture(scope="module")
def stderr_fd(pytestconfig):
    """A descriptor of the terminal's stderr, past pytest's capture: a hard exit on
    timeout must leave its traceback where a person (or CI's log) sees it."""
    capman = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
        fd = os.dup(2)
    yield fd
    os.close(fd)


@contextlib.contextmanager
def _guard(stderr_fd, seconds=TIMEOUT_S):
    """Fail a cell that runs past ``seconds``: SIGALRM raises in Python code; compiled
    code that never returns to Python (liblinear) ends the run at ``2 * seconds`` with
    every thread's traceback on stderr instead of blocking CI."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def _timeout(signum, frame):
        raise TimeoutError(f"cell ran for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(seconds)
    faulthandler.dump_traceback_later(2 * seconds, exit=True, file=stderr_fd)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _params():
    for name in NAMES:
        for cell in _cells_of(name):
            marks = []
            if (name, cell) in XFAIL:
                marks.append(pytest.mark.xfail(strict=True, reason=XFAIL[name, cell]))
            yield pytest.param(name, cell, id=f"{name}-{cell}", marks=marks)


@pytest.mark.parametrize(("name", "cell"), list(_params()))
def test_bad_input_cell(name, cell, stderr_fd):
    if expected(name, cell) == "valid":
        with _guard(stderr_fd):
            run_cell(name, cell)
        return
    refused = pytest.raises((ValueError, TypeError), match=_message_pattern(cell))
    with _guard(stderr_fd), refused as err:
        run_cell(name, cell)
    # a refusal is a check, not linear algebra failing inside the math
    assert not isinstance(err.value, np.linalg.LinAlgError), err.value


def test_every_registry_model_is_in_the_matrix():
    assert set(NAMES) == set(available().name)
    assert all(len(_cells_of(name)) >= 8 for name in NAMES)


def test_one_class_rule_holds_for_every_registry_classifier():
    """The one rule (README, "One class"): every classifier refuses a y of one class at fit.
    The matrix's ``one_class_fit`` cell checks it for each entry; no classifier is exempt."""
    from gdlab import capabilities

    accepting = {name for name, cells in VALID.items() if "one_class_fit" in cells}
    assert accepting == {"cgan"}
    assert "classify" not in capabilities(_make("cgan"))  # a sampler: one class, unconditional
    classifiers = [n for n in NAMES if "classify" in capabilities(_make(n))]
    assert len(classifiers) >= 50 and all("one_class_fit" in _cells_of(n) for n in classifiers)


# -- the registry's scikit-learn entries: checks added in front of the solvers ----------

SCALED = ("logreg", "logreg-unreg", "linear-svm", "rbf-svm", "mlp")


def test_checked_scaler_is_standard_scaler_on_finite_data():
    from sklearn.base import clone
    from sklearn.preprocessing import StandardScaler

    from gdlab.models.registry import CheckedStandardScaler

    X = _train("rows") * [1.0, 1e100, -3.0, 1e-100]
    checked = CheckedStandardScaler(with_mean=False)
    assert clone(checked).get_params() == StandardScaler(with_mean=False).get_params()
    np.testing.assert_array_equal(checked.fit_transform(X),
                                  StandardScaler(with_mean=False).fit_transform(X))


@pytest.mark.parametrize("name", SCALED)
def test_scaled_entries_refuse_values_too_large_to_square(name, stderr_fd):
    import pandas as pd

    model = _make(name)
    assert list(model.named_steps) == ["scale", "clf"]  # make(name, clf__...) still works
    X = pd.DataFrame(_train("rows"), columns=["a", "b", "c", "d"])
    huge = X.copy()
    huge.loc[3, "c"] = -1e300
    with _guard(stderr_fd), pytest.raises(ValueError, match=r"column 2 \('c'\).*1e\+300"):
        model.fit(huge, Y)
    assert not hasattr(model.named_steps["clf"], "classes_")  # refused before the solver
    model.fit(X, Y)
    with _guard(stderr_fd), pytest.raises(ValueError, match=r"column 2 \('c'\).*1e\+300"):
        model.predict_proba(huge)


@pytest.mark.parametrize(("name", "sk_class"), [
    ("hist-gb", "sklearn.ensemble.HistGradientBoostingClassifier"),
    ("mlp", "sklearn.neural_network.MLPClassifier"),
    ("tree", "sklearn.tree.DecisionTreeClassifier"),
    ("random-forest", "sklearn.ensemble.RandomForestClassifier"),
])
def test_one_class_refusing_entries_equal_scikit_learn_otherwise(name, sk_class):
    import importlib

    from sklearn.base import clone

    model = _make(name)
    clf = model.named_steps["clf"] if hasattr(model, "named_steps") else model
    module, cls = sk_class.rsplit(".", 1)
    reference = getattr(importlib.import_module(module), cls)(**clf.get_params())
    X = model[:-1].fit_transform(_train("rows")) if clf is not model else _train("rows")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few iterations: convergence warnings
        np.testing.assert_array_equal(clone(clf).fit(X, Y).predict_proba(X),
                                      reference.fit(X, Y).predict_proba(X))
    with pytest.raises(ValueError, match=r"at least 2 classes.*only 1 class: \[0\]"):
        clone(clf).fit(X, np.zeros_like(Y))


# -- tokenizers of the language models ------------------------------------------------


@pytest.mark.parametrize("bad_id", [1.5, 4.0, True, np.float64(4.0), "4", None])
@pytest.mark.parametrize("kind", ["char", "byte"])
def test_tokenizer_decode_refuses_ids_that_are_not_ints(kind, bad_id):
    from gdlab.tokenizers import make_tokenizer

    tok = make_tokenizer(kind).fit(["abba", "cab"])
    with pytest.raises(TypeError, match=r"int ids.*item 1"):  # 1.5 was read as 1, <bos>
        tok.decode([5, bad_id])
    assert tok.decode([5, np.int64(4), *np.array([5])]) == tok.decode([5, 4, 5])


def test_byte_tokenizer_says_which_character_has_no_utf8_bytes():
    from gdlab.tokenizers import ByteTokenizer

    with pytest.raises(ValueError, match=r"position 2\b.*'\\ud800', is a lone surrogate") as err:
        ByteTokenizer().encode("ab\ud800c")
    assert type(err.value) is ValueError  # not the codec's UnicodeEncodeError


# -- NB-SVM on raw counts: liblinear again ----------------------------------------------


@pytest.mark.parametrize("sparse", [False, True])
def test_nbsvm_on_raw_counts_refuses_values_too_large_to_square(sparse, stderr_fd):
    import scipy.sparse as sp

    from gdlab.models.text import NBSVM

    X = np.array([[1, 0, 2], [0, 1, 0], [1, 1, 0], [0, 3, 1], [2, 0, 0], [0, 2, 1.0]])
    y = [0, 1, 0, 1, 0, 1]
    huge = X.copy()
    huge[3, 2] = 1e300
    as_input = sp.csr_matrix if sparse else np.asarray
    model = NBSVM(binarize=False)
    # liblinear ran for minutes on this (binarized counts are 0/1 and never reach it)
    with _guard(stderr_fd), pytest.raises(ValueError, match=r"column 2 of X.*1e\+300"):
        model.fit(as_input(huge), y)
    assert not hasattr(model, "coef_")
    model.fit(as_input(X), y)
    with pytest.raises(ValueError, match=r"column 2 of X.*1e\+300"):
        model.decision_function(as_input(huge))
    binarized = NBSVM().fit(as_input(huge), y)  # 1e300 > 0 is a 1: nothing to refuse
    assert np.isin(binarized.predict(as_input(huge)), [0, 1]).all()


def test_check_magnitude_names_the_column_of_a_sparse_matrix():
    import scipy.sparse as sp

    from gdlab._validation import check_magnitude

    X = sp.csr_matrix(np.array([[0, 1.0, 0], [0, 0, -1e200], [3.0, 0, 0]]))
    with pytest.raises(ValueError, match=r"column 2 \('c'\) of X.*magnitude 1e\+200"):
        check_magnitude("M", X, feature_names=["a", "b", "c"])
    check_magnitude("M", X, limit=1e201)


@pytest.mark.parametrize("container", ["generator", "iterator", "dict", "set"])
@pytest.mark.parametrize("name", ["ngram-logreg", "char-ngram-classifier", "char-gpt"])
def test_texts_in_a_one_shot_or_unordered_container_are_refused(name, container):
    texts = _train("texts")
    X = {"generator": (t for t in texts), "iterator": iter(texts),
         "dict": dict.fromkeys(texts), "set": set(texts)}[container]
    model = _make(name)
    # a generator was read by TextColumn.fit, then found empty by transform ("no texts");
    # a dict gave its keys, a set an arbitrary order that no longer matches y
    with pytest.raises(TypeError, match=rf"list of texts.*got {type(X).__name__}"):
        _fit(model, X)


def _registry_checked_estimators():
    from gdlab.models.registry import (
        CheckedDecisionTreeClassifier,
        CheckedHistGradientBoostingClassifier,
        CheckedRandomForestClassifier,
        CheckedStandardScaler,
    )

    return [CheckedStandardScaler(), CheckedHistGradientBoostingClassifier(max_iter=5),
            CheckedDecisionTreeClassifier(random_state=0),
            CheckedRandomForestClassifier(n_estimators=5, random_state=0)]


def _registry_wrapper_expected_failures(estimator):
    if type(estimator).__name__ == "CheckedRandomForestClassifier":
        # scikit-learn's own forest fails it too: bootstrap draws rows, not weights
        reason = "bootstrap samples rows; weights are not repeats (scikit-learn's forest too)"
        return {"check_sample_weight_equivalence_on_dense_data": reason,
                "check_sample_weight_equivalence_on_sparse_data": reason}
    return {}


@parametrize_with_checks(_registry_checked_estimators(),
                         expected_failed_checks=_registry_wrapper_expected_failures)
def test_registry_wrappers_pass_scikit_learn_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


@pytest.mark.parametrize("name", ["hist-gb", "mlp", "tree", "random-forest"])
def test_one_class_refusal_keeps_the_fit_signature(name):
    from sklearn.utils.validation import has_fit_parameter

    model = _make(name)
    clf = model.named_steps["clf"] if hasattr(model, "named_steps") else model
    assert has_fit_parameter(clf, "sample_weight")  # meta-estimators read the signature


@pytest.fixture(scope="module")
def hf_checkpoint(tmp_path_factory):
    """A 1-layer GPT-2 with random weights and a byte-level BPE built here (no download)."""
    pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    torch = pytest.importorskip("torch")
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    tok = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tokenizers.decoders.ByteLevel()
    tok.train_from_iterator(_train("texts"), tokenizers.trainers.BpeTrainer(
        vocab_size=280, special_tokens=["<bos>", "<eos>", "<unk>"],
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>",
                                   unk_token="<unk>")
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=8, n_positions=32,
                                       vocab_size=len(fast), bos_token_id=fast.bos_token_id,
                                       eos_token_id=fast.eos_token_id))
    path = tmp_path_factory.mktemp("tiny-gpt2")
    model.save_pretrained(path)
    fast.save_pretrained(path)
    return path


def test_hugging_face_wrappers_say_which_text_has_a_lone_surrogate(hf_checkpoint):
    from gdlab.models.hf import HFCausalLM, HFGenerativeClassifier
    from gdlab.tokenizers import HFTokenizer

    texts = ["cat hat", "dog\ud800 fog"]
    # the Rust tokenizer said "TextEncodeInput must be Union[TextInputSequence, ...]"
    with pytest.raises(ValueError, match=r"position 3 of text 1.*lone surrogate"):
        HFCausalLM(hf_checkpoint, device="cpu").fit().score_samples(texts)
    clf = HFGenerativeClassifier(hf_checkpoint, device="cpu").fit(texts[:1] * 2, ["a", "b"])
    with pytest.raises(ValueError, match=r"position 3 of text 1.*lone surrogate"):
        clf.predict_proba(texts)
    with pytest.raises(ValueError, match=r"position 3\b.*lone surrogate"):
        HFTokenizer(hf_checkpoint).fit().encode(texts[1])
