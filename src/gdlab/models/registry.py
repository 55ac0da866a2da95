"""A registry of named, configured models: generative and discriminative side by side.

Each entry is a :class:`ModelSpec`: a name, a family, a factory that returns a
fresh unfitted estimator, the data modalities it is meant for and a one-line
description. :func:`make` builds a model by name, :func:`available` lists them
with the capability tags read off a fresh instance (never written by hand):
:attr:`ModelSpec.capabilities` and :attr:`ModelSpec.input_kind` build that
instance once per registered model and keep the answer, so every caller asks
the spec rather than building throwaway models.

Discriminative entries are configured scikit-learn estimators; models that
need standardized inputs are wrapped in a scikit-learn ``Pipeline``
with the steps ``scale`` and ``clf``, so ``make("logreg", clf__Cs=5)`` reaches
the classifier. The ``scale`` step is a :class:`CheckedStandardScaler`: it
refuses values whose squares overflow before they reach liblinear, libsvm or
lbfgs (one 1e300 kept liblinear busy for minutes, beyond Ctrl-C's reach).

:class:`ModelSpec` and the functions that add, find and list entries live in
:mod:`gdlab.models._model_spec` and are re-exported here, the public home of all
of them; this module holds the table of built-in entries and the checked
scikit-learn estimators they use.

Examples
--------
>>> from gdlab.models.registry import make
>>> make("tree", max_depth=3).max_depth
3
"""

from __future__ import annotations

import functools
import inspect

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier as _SkHistGradientBoosting
from sklearn.ensemble import RandomForestClassifier as _SkRandomForest
from sklearn.neural_network import MLPClassifier as _SkMLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier as _SkDecisionTree
from sklearn.utils.validation import check_array

from gdlab._validation import MAX_ABS_SQUARED, check_magnitude
from gdlab.models._model_spec import (
    FAMILIES,
    ModelSpec,
    available,
    make,
    names,
    register,
    registered,
    spec,
    unregister,
)

__all__ = [
    "FAMILIES",
    "ModelSpec",
    "register",
    "unregister",
    "registered",
    "make",
    "spec",
    "names",
    "available",
    "CheckedStandardScaler",
    "CheckedHistGradientBoostingClassifier",
    "CheckedMLPClassifier",
]


# ---------------------------------------------------------------------------
# built-in entries: generative (imported lazily, their modules load on demand)


def _lazy(module: str, cls_name: str, **params):
    """Factory importing ``module`` only when the model is built."""

    def factory():
        import importlib

        return getattr(importlib.import_module(module), cls_name)(**params)

    return factory


for _name, _cls, _mod, _desc in [
    ("gaussian-nb", "GaussianNB", ("tabular",),
     "Naive Bayes with one Gaussian per feature and class"),
    ("bernoulli-nb", "BernoulliNB", ("binary",),
     "Naive Bayes with independent binary features"),
    ("multinomial-nb", "MultinomialNB", ("counts",),
     "Naive Bayes over non-negative counts (bag of words)"),
    ("categorical-nb", "CategoricalNB", ("categorical",),
     "Naive Bayes with one categorical distribution per feature and class"),
    ("mixed-nb", "MixedNB", ("tabular", "categorical"),
     "Naive Bayes over mixed column types (Gaussian, Bernoulli, categorical)"),
]:
    register(ModelSpec(_name, "generative", _lazy("gdlab.models.naive_bayes", _cls), _mod, _desc))
# complement naive Bayes scores each class by its complement's counts: no density of x
register(ModelSpec("complement-nb", "discriminative",
                   _lazy("gdlab.models.naive_bayes", "ComplementNB"), ("counts",),
                   "Complement naive Bayes (Rennie et al. 2003) over counts; no density"))

for _name, _cov, _desc in [
    ("qda", "full", "Gaussian class-conditional with one full covariance per class (QDA)"),
    ("lda", "tied", "Gaussian class-conditional with one shared covariance (LDA)"),
    ("diag-gaussian", "diag", "Gaussian class-conditional with diagonal covariances"),
    ("spherical-gaussian", "spherical",
     "Gaussian class-conditional with one variance per class (spherical)"),
]:
    register(ModelSpec(_name, "generative",
                       _lazy("gdlab.models.gaussian", "GaussianClassifier", covariance=_cov),
                       ("tabular",), _desc))


for _name, _module, _cls, _params, _desc in [
    ("gmm-classifier", "gdlab.models.mixture", "GMMClassifier",
     {"n_components": 2, "random_state": 0},
     "Gaussian mixture per class (2 full components), EM exact for missing values"),
    ("gmm-bic-classifier", "gdlab.models.mixture", "GMMClassifier",
     {"select": "bic", "max_components": 4, "random_state": 0},
     "Gaussian mixture per class, 1-4 components chosen by BIC"),
    ("kde-classifier", "gdlab.models.kde", "KDEClassifier", {},
     "Kernel density per class (Gaussian product kernel, Scott's bandwidth)"),
]:
    register(ModelSpec(_name, "generative", _lazy(_module, _cls, **_params), ("tabular",), _desc))

# generative-discriminative blends (Bouchard & Triggs 2004): lambda_ chosen by 5-fold CV
for _name, _cls, _params, _mod, _desc in [
    ("blend-gaussian-nb", "BlendGaussianNB", {}, ("tabular",),
     "Gaussian naive Bayes fitted by lambda log p(x,y) + (1-lambda) log p(y|x), lambda by CV"),
    ("blend-shared-gaussian-nb", "BlendGaussianNB", {"covariance": "shared"}, ("tabular",),
     "Blend of Gaussian NB with shared variances (lambda=1) and logistic regression (lambda=0)"),
    ("blend-qda", "BlendGaussianClassifier", {}, ("tabular",),
     "Blend of QDA (full per-class covariances, lambda=1) and quadratic logistic regression "
     "(lambda=0), lambda by CV"),
    ("blend-multinomial-nb", "BlendMultinomialNB", {}, ("counts",),
     "Multinomial naive Bayes fitted between log p(x,y) and log p(y|x), lambda by CV"),
    ("blend-bernoulli-nb", "BlendBernoulliNB", {}, ("binary",),
     "Bernoulli naive Bayes fitted between log p(x,y) and log p(y|x), lambda by CV"),
]:
    register(ModelSpec(_name, "hybrid",
                       _lazy("gdlab.models.blend", _cls, random_state=0, **_params), _mod, _desc))


# ---------------------------------------------------------------------------
# built-in entries: discriminative (configured scikit-learn estimators)


class CheckedStandardScaler(StandardScaler):
    """:class:`~sklearn.preprocessing.StandardScaler` that refuses values too large to square.

    Standardizing squares every entry (the variance), and the solvers behind the
    scaled registry entries (liblinear, libsvm, lbfgs, Adam) square them again: a
    single 1e300 gives an infinite variance, a column silently scaled to zero, or
    a solver that never returns (liblinear ran for minutes, beyond Ctrl-C's
    reach). This step refuses ``|x| > MAX_ABS_SQUARED`` (1e150) in ``fit``,
    ``partial_fit`` and ``transform``, naming the column, before any work;
    on every other input it is :class:`~sklearn.preprocessing.StandardScaler`
    (same parameters, same output, same errors).

    Parameters
    ----------
    copy, with_mean, with_std : bool, default=True
        As in :class:`~sklearn.preprocessing.StandardScaler`.

    Examples
    --------
    >>> import numpy as np
    >>> CheckedStandardScaler().fit_transform(np.array([[1.0], [3.0]])).ravel()
    array([-1.,  1.])
    >>> CheckedStandardScaler().fit(np.array([[1.0], [1e300]]))
    Traceback (most recent call last):
    ...
    ValueError: CheckedStandardScaler cannot take column 0 of X: it holds a value of ...
    """

    def _check_magnitude(self, X) -> None:
        values = check_array(X, accept_sparse=True, dtype=np.float64,
                             ensure_all_finite="allow-nan", ensure_min_samples=0,
                             ensure_min_features=0, estimator=self)
        check_magnitude(self, values, limit=MAX_ABS_SQUARED,
                        feature_names=getattr(X, "columns", None))

    def partial_fit(self, X, y=None, sample_weight=None):
        """Refuse too-large values, then :meth:`StandardScaler.partial_fit` (``fit`` calls it).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        self._check_magnitude(X)
        return super().partial_fit(X, y, sample_weight)

    def transform(self, X, copy=None):
        """Refuse too-large values, then standardize as :meth:`StandardScaler.transform`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        copy : bool, optional

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        self._check_magnitude(X)
        return super().transform(X, copy=copy)


def _refusing_one_class(fit):
    """``fit`` that first refuses a ``y`` of one class, with ``fit``'s own signature
    (meta-estimators read it, e.g. to know that ``sample_weight`` is taken)."""

    @functools.wraps(fit)
    def checked_fit(self, X, y, *args, **kwargs):
        if y is not None:  # everything else about y is scikit-learn's check
            classes = pd.unique(np.ravel(np.asarray(y, dtype=object)))
            if len(classes) == 1:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes, but y "
                    f"contains only 1 class: {classes.tolist()!r}."
                )
        return fit(self, X, y, *args, **kwargs)

    return checked_fit


class CheckedHistGradientBoostingClassifier(_SkHistGradientBoosting):
    """scikit-learn's histogram gradient boosting that refuses a one-class ``y``.

    With one class scikit-learn's fits and returns probabilities of two columns
    for one entry of ``classes_``; this raises ``ValueError`` instead. Same
    parameters and results otherwise.
    """

    fit = _refusing_one_class(_SkHistGradientBoosting.fit)


class CheckedMLPClassifier(_SkMLPClassifier):
    """scikit-learn's MLP classifier that refuses a one-class ``y``.

    (Not gdlab's torch :class:`gdlab.models.networks.MLPClassifier`: this is the
    registry's ``mlp`` entry, scikit-learn's network.)

    With one class scikit-learn's fits and returns probabilities of two columns
    for one entry of ``classes_``; this raises ``ValueError`` instead. Same
    parameters and results otherwise.
    """

    fit = _refusing_one_class(_SkMLPClassifier.fit)


class CheckedDecisionTreeClassifier(_SkDecisionTree):
    """scikit-learn's decision tree that refuses a one-class ``y``.

    With one class scikit-learn's tree is a single leaf that predicts it; this
    raises ``ValueError`` instead, as every gdlab classifier does. Same
    parameters and results otherwise.
    """

    fit = _refusing_one_class(_SkDecisionTree.fit)


class CheckedRandomForestClassifier(_SkRandomForest):
    """scikit-learn's random forest that refuses a one-class ``y``.

    With one class scikit-learn's forest predicts it for every row; this
    raises ``ValueError`` instead, as every gdlab classifier does. Same
    parameters and results otherwise.
    """

    fit = _refusing_one_class(_SkRandomForest.fit)


def _scaled(clf):
    from sklearn.pipeline import Pipeline

    return Pipeline([("scale", CheckedStandardScaler()), ("clf", clf)])


def _supported(cls, **kwargs) -> dict:
    """Keep the keyword arguments ``cls`` accepts, dropping settings that only
    silence deprecation warnings of newer scikit-learn versions."""
    params = inspect.signature(cls).parameters
    return {k: v for k, v in kwargs.items() if k in params}


def _logreg():
    from sklearn.linear_model import LogisticRegressionCV

    params = inspect.signature(LogisticRegressionCV).parameters
    extra = {"use_legacy_attributes": False}
    if params["l1_ratios"].default == "warn":  # scikit-learn >= 1.8: L2 is l1_ratio 0
        extra["l1_ratios"] = (0.0,)
    return _scaled(
        LogisticRegressionCV(
            Cs=10, scoring="accuracy", max_iter=5000, random_state=0,
            **_supported(LogisticRegressionCV, **extra),
        )
    )


def _logreg_unreg():
    from sklearn.linear_model import LogisticRegression

    return _scaled(LogisticRegression(C=1e4, max_iter=10_000, random_state=0))


def _linear_svm():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    return _scaled(
        CalibratedClassifierCV(
            LinearSVC(C=1.0, max_iter=10_000, random_state=0),
            method="sigmoid", cv=5, ensemble=False,
        )
    )


def _rbf_svm():
    # CalibratedClassifierCV(SVC(), ensemble=False) is what SVC(probability=True) does
    # (5-fold Platt scaling, then a refit on all rows) and what scikit-learn >= 1.9
    # recommends instead of the deprecated ``probability`` parameter.
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    return _scaled(
        CalibratedClassifierCV(SVC(kernel="rbf", C=1.0, gamma="scale", random_state=0),
                               method="sigmoid", cv=5, ensemble=False)
    )


def _tree():
    return CheckedDecisionTreeClassifier(random_state=0)


def _random_forest():
    return CheckedRandomForestClassifier(n_estimators=100, random_state=0)


def _hist_gb():
    return CheckedHistGradientBoostingClassifier(random_state=0)


def _mlp():
    # scikit-learn's defaults (Adam at 1e-3, patience 10) stop early on small
    # tables before the network has learned anything; 1e-2 and patience 20 do not.
    return _scaled(
        CheckedMLPClassifier(hidden_layer_sizes=(64,), learning_rate_init=0.01,
                             early_stopping=True, n_iter_no_change=20, max_iter=500,
                             random_state=0)
    )


for _name, _factory, _desc in [
    ("logreg", _logreg,
     "Standardize + L2 logistic regression, C chosen among 10 by 5-fold CV on "
     "accuracy (so its score() is accuracy)"),
    ("logreg-unreg", _logreg_unreg,
     "Standardize + nearly unregularized logistic regression (C=1e4)"),
    ("linear-svm", _linear_svm,
     "Standardize + LinearSVC, Platt-calibrated by 5-fold CV "
     "(liblinear scales to many rows; predict = argmax predict_proba)"),
    ("rbf-svm", _rbf_svm,
     "Standardize + RBF-kernel SVC, Platt-calibrated by 5-fold CV"),
    ("tree", _tree, "Decision tree (CART), grown until pure; NaN routed natively"),
    ("random-forest", _random_forest, "Random forest of 100 trees"),
    ("hist-gb", _hist_gb, "Histogram gradient boosting; NaN handled natively"),
    ("mlp", _mlp, "Standardize + one-hidden-layer MLP (64 units) with early stopping"),
]:
    register(ModelSpec(_name, "discriminative", _factory, ("tabular",), _desc))


def _self_training_logreg():
    from sklearn.linear_model import LogisticRegression

    from gdlab.models.semi_supervised import CheckedSelfTrainingClassifier

    return _scaled(CheckedSelfTrainingClassifier(LogisticRegression(max_iter=5000,
                                                                    random_state=0)))


def _label_spreading():
    from gdlab.models.semi_supervised import CheckedLabelSpreading

    return _scaled(CheckedLabelSpreading(kernel="knn", n_neighbors=7, alpha=0.2, max_iter=100))


# semi-supervised baselines (scikit-learn's; y = -1 marks an unlabelled row): they use
# the unlabelled rows without a model of p(x), so they are discriminative
for _name, _factory, _desc in [
    ("self-training-logreg", _self_training_logreg,
     "Standardize + self-training logistic regression (C=1): adds unlabelled rows (y=-1) "
     "predicted with p >= 0.75 as pseudo-labels, refits"),
    ("label-spreading", _label_spreading,
     "Standardize + label spreading over a 7-nearest-neighbour graph of all rows, "
     "labelled or not (y=-1)"),
]:
    register(ModelSpec(_name, "discriminative", _factory, ("tabular",), _desc))


def _augmented(generator: str, classifier: str, **params):
    """Factory of ``GenerativeAugmentation(make(generator), make(classifier), **params)``."""

    def factory():
        from gdlab.models.augmentation import GenerativeAugmentation

        return GenerativeAugmentation(make(generator), make(classifier), random_state=0, **params)

    return factory


def _smote_logreg():
    from gdlab.models.augmentation import GenerativeAugmentation, SMOTESampler

    return GenerativeAugmentation(SMOTESampler(), _logreg(), ratio=0.0, balance=True,
                                  random_state=0)


# generative data augmentation: a discriminative model trained on real rows plus rows drawn
# from a generative model's p(x | y); SMOTE (interpolation, no model of p(x)) is the baseline
for _name, _family, _factory, _desc in [
    ("augment-gmm-logreg", "hybrid", _augmented("gmm-classifier", "logreg", ratio=1.0),
     "logreg trained on real rows + as many drawn from a per-class Gaussian mixture "
     "(2 components)"),
    ("augment-kde-random-forest", "hybrid",
     _augmented("kde-classifier", "random-forest", ratio=1.0),
     "Random forest trained on real rows + as many drawn from a per-class kernel density"),
    ("smote-logreg", "discriminative", _smote_logreg,
     "logreg after SMOTE oversampling of the smaller classes up to the largest (no model "
     "of p(x))"),
]:
    register(ModelSpec(_name, _family, _factory, ("tabular",), _desc))


# ---------------------------------------------------------------------------
# built-in entries: sequences, neural networks and text. Settings are small enough
# for a quick study (a few seconds of CPU per fit on ~1,000 items); raise max_epochs
# and widths for real work (see the README).


def _class_conditional(module: str, cls_name: str, **params):
    """Factory of ``ClassConditional(<density>)`` with the density imported lazily."""

    def factory():
        from gdlab.base import ClassConditional

        return ClassConditional(_lazy(module, cls_name, **params)())

    return factory


def _hmm_classifier(**params):
    """Factory of ``HMMClassifier(HMM(**params))``, imported when built."""

    def factory():
        from gdlab.models.hmm import HMM, HMMClassifier

        return HMMClassifier(HMM(**params))

    return factory


def _text_pipeline(function: str, **params):
    def factory():
        from gdlab.models import text

        pipe = getattr(text, function)(**params)
        # pin every seed (liblinear shuffles; calibration splits), as for the other entries
        pipe.set_params(**{k: 0 for k in pipe.get_params() if k.endswith("random_state")})
        return pipe

    return factory


_GPT_SMALL = dict(context_length=64, n_layer=1, n_head=2, d_model=32, max_epochs=3,
                  batch_size=64, lr=3e-3, patience=2, random_state=0)

for _name, _family, _factory, _mod, _desc in [
    # sequences (issue: hidden Markov models)
    ("hmm-classifier", "generative",
     _lazy("gdlab.models.hmm", "HMMClassifier"), ("sequence",),
     "One Gaussian HMM per class (3 states, Baum-Welch), Bayes' rule; NaN frames marginalized"),
    ("hmm-gmm", "generative",
     _hmm_classifier(n_states=3, emission="gmm", n_mix=2, max_iter=30, random_state=0),
     ("sequence",),
     "One HMM per class with 2-Gaussian mixture emissions, Bayes' rule"),
    ("hmm-categorical", "generative",
     _hmm_classifier(n_states=3, emission="categorical", max_iter=50, random_state=0),
     ("sequence",),
     "One HMM per class over integer symbols (e.g. characters), Bayes' rule"),
    ("gru", "discriminative",
     _lazy("gdlab.models.rnn", "GRUClassifier", hidden_size=32, max_epochs=30, lr=0.01,
           batch_size=32, random_state=0), ("sequence",),
     "GRU over the frames, classifies from the last hidden state (torch)"),
    ("gru-chars", "discriminative",
     _lazy("gdlab.models.rnn", "GRUClassifier", n_symbols="auto", embedding_dim=16,
           hidden_size=32, max_epochs=10, lr=0.02, batch_size=128, random_state=0),
     ("sequence",),
     "GRU over integer symbol codes (characters) with an embedding (torch)"),
    # neural generative and discriminative models
    ("cvae", "generative",
     _lazy("gdlab.models.vae", "CVAE", latent_dim=4, hidden=(64,), max_epochs=50, batch_size=64,
           random_state=0), ("tabular", "image"),
     "Conditional VAE (MLP), Bayes' rule over the per-class ELBO (a bound)"),
    ("vae-class-conditional", "generative",
     _class_conditional("gdlab.models.vae", "VAE", latent_dim=4, hidden=(64,), max_epochs=50,
                        batch_size=64, random_state=0), ("tabular", "image"),
     "One VAE (MLP) per class, Bayes' rule over the ELBOs (a bound)"),
    ("m2-vae", "hybrid",
     _lazy("gdlab.models.vae", "M2VAE", latent_dim=8, hidden=(64,), alpha=10.0, max_epochs=50,
           batch_size=64, random_state=0), ("tabular", "image"),
     "Semi-supervised VAE M2 (Kingma et al. 2014): CVAE + classifier q(y|x), learns from "
     "unlabelled rows (y=-1)"),
    ("ss-gan", "hybrid",
     _lazy("gdlab.models.gan", "SemiSupervisedGAN", latent_dim=16, hidden=(128, 64),
           generator_hidden=(128,), dropout=0.3, max_epochs=50, batch_size=64, random_state=0),
     ("tabular", "image"),
     "Semi-supervised GAN (Salimans et al. 2016): the K-class discriminator is the classifier, "
     "learns from unlabelled (y=-1) and generated rows; samples, no density"),
    ("vae-pretrain-finetune", "hybrid",
     _lazy("gdlab.models.vae_pretrain", "VAEPretrainClassifier", latent_dim=8, hidden=(64,),
           pretrain_epochs=50, max_epochs=100, freeze_epochs=50, batch_size=64,
           random_state=0), ("tabular", "image"),
     "VAE (MLP) pretrained on every row, labelled or not (y=-1); its encoder + a linear head "
     "fine-tuned on the labelled rows (encoder frozen for the first 50 epochs)"),
    ("cgan", "generative",
     _lazy("gdlab.models.gan", "ConditionalGAN", max_epochs=50, random_state=0),
     ("tabular", "image"),
     "Conditional GAN (MLP 128-128, R1 penalty, projection discriminator); samples, no density"),
    ("diffusion", "generative",
     _lazy("gdlab.models.diffusion", "ConditionalDiffusion", n_steps=100, hidden_sizes=(128, 128),
           max_epochs=60, n_elbo_steps=20, random_state=0), ("tabular", "image"),
     "Class-conditional denoising diffusion (MLP denoiser, DDPM, classifier-free guidance); "
     "Bayes' rule over ELBOs (a bound)"),
    ("diffusion-conv", "generative",
     _lazy("gdlab.models.diffusion", "ConditionalDiffusion", architecture="conv",
           image_shape=(8, 8), channels=16, n_steps=100, max_epochs=60, n_elbo_steps=10,
           random_state=0), ("image",),
     "Class-conditional diffusion with a small conv U-net denoiser (8x8 images)"),
    ("torch-mlp", "discriminative",
     _lazy("gdlab.models.networks", "MLPClassifier", hidden_sizes=(64,), lr=3e-3,
           max_epochs=100, batch_size=64, patience=10, random_state=0), ("tabular", "image"),
     "Torch MLP (64 hidden units, standardized inputs, early stopping) on gdlab's training "
     "loop"),
    ("cnn", "discriminative",
     _lazy("gdlab.models.networks", "CNNClassifier", channels=16, hidden_size=64, lr=2e-3,
           max_epochs=30, batch_size=64, patience=5, random_state=0), ("image",),
     "Small CNN (conv, stride-2 conv, 64 units) on flattened square images (e.g. digits 8x8)"),
    # a classifier read as an energy-based model (JEM, Grathwohl et al. 2020)
    ("jem", "hybrid",
     _lazy("gdlab.models.jem", "JEMClassifier", hidden_sizes=(64,), lr=3e-3, max_epochs=50,
           batch_size=64, patience=10, random_state=0), ("tabular", "image"),
     "JEM: torch MLP whose logsumexp of logits is an unnormalized log p(x), trained with "
     "an SGLD contrastive term"),
    ("jem-cnn", "hybrid",
     _lazy("gdlab.models.jem", "JEMCNNClassifier", channels=16, hidden_size=64, lr=2e-3,
           max_epochs=30, batch_size=64, patience=5, random_state=0), ("image",),
     "JEM on the small CNN (flattened square images): unnormalized log p(x) by logsumexp, "
     "SGLD samples"),
    # text (character language models, n-gram baselines, NB-SVM, small GPTs)
    ("char-ngram-classifier", "generative",
     _lazy("gdlab.models.ngram", "CharNGramClassifier"), ("text",),
     "One order-5 Kneser-Ney character language model per class; Bayes' rule"),
    ("ngram-multinomial-nb", "generative", _text_pipeline("ngram_multinomial_nb"), ("text",),
     "Binarized word uni+bigrams + gdlab's multinomial naive Bayes on the sparse counts"),
    ("ngram-logreg", "discriminative", _text_pipeline("ngram_logreg"), ("text",),
     "Binarized word uni+bigrams + L2 logistic regression (C=1)"),
    ("ngram-linear-svm", "discriminative", _text_pipeline("ngram_linear_svm"), ("text",),
     "Binarized word uni+bigrams + linear SVM, Platt-calibrated by 5-fold CV"),
    ("nbsvm", "hybrid", _text_pipeline("ngram_nbsvm"), ("text",),
     "NB-SVM (Wang & Manning 2012): SVM on NB log-count-ratio-scaled uni+bigrams, calibrated"),
    ("char-ngram-logreg", "discriminative",
     _text_pipeline("ngram_logreg", analyzer="char_wb", ngram_range=(1, 4)), ("text",),
     "Character 1-4-grams + L2 logistic regression"),
    ("char-gpt", "generative",
     _lazy("gdlab.models.gpt", "CharGPT", context_length=128, n_layer=2, n_head=4, d_model=128,
           max_epochs=2, batch_size=64, lr=3e-3, random_state=0), ("text",),
     "Small character-level GPT language model (2 layers, 128 wide); for gdlab generate"),
    ("gpt-class-conditional", "generative",
     _class_conditional("gdlab.models.gpt", "CharGPT", **_GPT_SMALL), ("text",),
     "One small character GPT per class, Bayes' rule"),
    ("gpt-label-prefix", "generative",
     _lazy("gdlab.models.gpt", "LabelPrefixGPT", **{**_GPT_SMALL, "max_epochs": 8}), ("text",),
     "One small character GPT with the class as a prefix token, Bayes' rule"),
    ("gpt-classifier", "discriminative",
     _lazy("gdlab.models.gpt", "GPTClassifier", **{**_GPT_SMALL, "max_epochs": 5}), ("text",),
     "Small causal transformer + classification head, trained from scratch"),
    ("gpt-pretrain-finetune", "hybrid",
     _lazy("gdlab.models.gpt", "GPTClassifier", **{**_GPT_SMALL, "max_epochs": 5},
           pretrain_epochs=2), ("text",),
     "Character GPT pretrained on the training texts, then fine-tuned with a head"),
    # the bidirectional (BERT-style) counterparts: [CLS] head, masked-LM pretraining
    ("encoder", "discriminative",
     _lazy("gdlab.models.encoder", "BERTClassifier", **{**_GPT_SMALL, "max_epochs": 5}),
     ("text",), "Small bidirectional transformer encoder (BERT-style) + [CLS] head, from scratch"),
    ("encoder-mlm-finetune", "hybrid",
     _lazy("gdlab.models.encoder", "BERTClassifier", **{**_GPT_SMALL, "max_epochs": 5},
           pretrain_epochs=2), ("text",),
     "Character encoder pretrained as a masked LM on every text (y=-1 too), then fine-tuned"),
]:
    register(ModelSpec(_name, _family, _factory, _mod, _desc))

del _name, _factory, _desc, _cls, _mod, _cov, _family
