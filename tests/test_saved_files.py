"""Files saved by gdlab 0.1.0 keep loading, and give the same outputs.

``tests/fixtures/saved`` holds models of every module whose classes saved
files name (naive Bayes, Gaussian, mixture, KDE, blend, the checked
scikit-learn wrappers of the registry, HMMs, n-grams, a torch network),
written by ``tests/fixtures/make_saved.py`` with their outputs. Moving or
renaming a class that a saved file names breaks these files for users: this
test fails first.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

import gdlab

FIXTURES = Path(__file__).parent / "fixtures"
_spec = importlib.util.spec_from_file_location("make_saved", FIXTURES / "make_saved.py")
make_saved = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_saved)


def test_every_fixture_is_there():
    names = {p.stem for p in (FIXTURES / "saved").glob("*.gdlab")}
    assert names == set(make_saved.MODELS)


@pytest.mark.parametrize("name", sorted(make_saved.MODELS))
def test_a_saved_model_loads_and_predicts_as_when_it_was_saved(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. a newer scikit-learn's version notice
        model = gdlab.load(FIXTURES / "saved" / f"{name}.gdlab")
    X, _ = make_saved.inputs(name)
    expected = np.load(FIXTURES / "saved" / f"{name}.npy")
    got = make_saved.outputs(model, X)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=0, atol=1e-9)
    # other BLAS builds and thread counts round differently: probabilities to 1e-7
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-7)
