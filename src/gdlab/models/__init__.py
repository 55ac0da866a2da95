"""gdlab models: generative, discriminative and hybrid, under one contract.

Generative classifiers implement ``log_joint`` / ``sample`` (see
:mod:`gdlab.base`); discriminative ones are configured scikit-learn
estimators reached through the registry (:func:`make`, :func:`available`).
"""

from gdlab.base import ClassConditional
from gdlab.models.gaussian import GaussianClassifier, GaussianDensity
from gdlab.models.kde import KDEClassifier, KernelDensity
from gdlab.models.mixture import GaussianMixture, GaussianMixtureBIC, GMMClassifier
from gdlab.models.naive_bayes import BernoulliNB, CategoricalNB, GaussianNB, MixedNB, MultinomialNB
from gdlab.models.registry import ModelSpec, available, make, register, spec

__all__ = [
    "BernoulliNB",
    "CategoricalNB",
    "ClassConditional",
    "GaussianClassifier",
    "GaussianDensity",
    "GaussianMixture",
    "GaussianMixtureBIC",
    "GMMClassifier",
    "KDEClassifier",
    "KernelDensity",
    "GaussianNB",
    "MixedNB",
    "ModelSpec",
    "MultinomialNB",
    "available",
    "make",
    "register",
    "spec",
]
