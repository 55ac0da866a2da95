"""The model registry: names, families, fresh instances, capabilities read off instances."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from gdlab.capability_tags import capabilities
from gdlab.models import registry
from gdlab.models.registry import ModelSpec, available, make, register, spec

GENERATIVE = {
    "gaussian-nb", "bernoulli-nb", "multinomial-nb", "categorical-nb", "mixed-nb",
    "qda", "lda", "diag-gaussian", "spherical-gaussian",
    "gmm-classifier", "gmm-bic-classifier", "kde-classifier",
    "hmm-classifier", "hmm-gmm", "hmm-categorical",
    "cvae", "vae-class-conditional", "cgan", "diffusion", "diffusion-conv",
    "char-ngram-classifier", "ngram-multinomial-nb", "char-gpt", "gpt-class-conditional",
    "gpt-label-prefix",
}
DISCRIMINATIVE = {
    "logreg", "logreg-unreg", "linear-svm", "rbf-svm", "tree", "random-forest", "hist-gb", "mlp",
    "gru", "gru-chars", "torch-mlp", "cnn", "ngram-logreg", "ngram-linear-svm", "char-ngram-logreg",
    "gpt-classifier", "self-training-logreg", "label-spreading",
}
HYBRID = {"nbsvm", "gpt-pretrain-finetune", "m2-vae", "ss-gan", "blend-gaussian-nb",
          "blend-shared-gaussian-nb", "blend-multinomial-nb", "blend-bernoulli-nb",
          "blend-qda"}
# generative data augmentation (the SMOTE baseline has no model of p(x): discriminative)
HYBRID |= {"augment-gmm-logreg", "augment-kde-random-forest"}
# generative pretraining (a VAE on every row), then discriminative fine-tuning
HYBRID |= {"vae-pretrain-finetune"}
# a classifier read as an energy-based model: its log p(x) is unnormalized
HYBRID |= {"jem", "jem-cnn"}
DISCRIMINATIVE |= {"smote-logreg"}
# complement naive Bayes: class scores from the other classes' counts, no model of p(x)
DISCRIMINATIVE |= {"complement-nb"}
# the bidirectional encoder, from scratch and pretrained as a masked language model
DISCRIMINATIVE |= {"encoder"}
HYBRID |= {"encoder-mlm-finetune"}
#: Generative entries that do not classify: pure samplers / language models.
SAMPLERS = {"cgan", "char-gpt"}
#: Generative entries whose score is a bound (ELBO), not an exact density.
BOUNDS = {"cvae", "vae-class-conditional", "diffusion", "diffusion-conv"}
#: Generative text pipelines (vectorizer + gdlab's sparse multinomial NB): a Pipeline's tags
#: are read off scikit-learn's (a Pipeline declares none).
SKLEARN_TEXT = {"ngram-multinomial-nb"}


@pytest.fixture
def isolated_registry():
    """The registry restored after the test, so tests can register without leaking entries."""
    with registry.registered():
        yield


def test_builtin_names_and_families():
    table = available()
    assert list(table.columns) == ["name", "family", "capabilities", "modality", "description"]
    assert set(table.name) == GENERATIVE | DISCRIMINATIVE | HYBRID
    family = dict(zip(table.name, table.family, strict=True))
    assert {n for n, f in family.items() if f == "generative"} == GENERATIVE
    assert {n for n, f in family.items() if f == "discriminative"} == DISCRIMINATIVE
    assert {n for n, f in family.items() if f == "hybrid"} == HYBRID
    assert all(isinstance(d, str) and d and "\n" not in d for d in table.description)


@pytest.mark.parametrize("name", sorted(GENERATIVE | DISCRIMINATIVE | HYBRID))
def test_make_returns_a_fresh_unfitted_clonable_estimator(name):
    a, b = make(name), make(name)
    assert a is not b
    with pytest.raises(NotFittedError):
        check_is_fitted(a)
    assert clone(a).get_params().keys() == a.get_params().keys()
    # what available() shows is what the instance says
    row = available().set_index("name").loc[name]
    assert row.capabilities == ",".join(sorted(capabilities(a)))
    assert ("classify" in capabilities(a)) == (name not in SAMPLERS)


def test_generative_models_declare_density_and_sampling():
    for name in GENERATIVE - SKLEARN_TEXT:
        caps = capabilities(make(name))
        score = "density_bound" if name in BOUNDS else "density"
        if name == "cgan":  # implicit density: samples only, honestly
            assert caps == {"sample", "conditional_sample"}
        elif name == "char-gpt":  # a language model: a density over texts, no classes
            assert caps == {"density", "sample", "text"}
        else:
            assert {score, "sample", "conditional_sample"} <= caps, name
            assert not caps & ({"density", "density_bound"} - {score}), name


def test_energy_based_entries_say_their_density_is_unnormalized():
    for name in ("jem", "jem-cnn"):
        caps = capabilities(make(name))
        assert caps == {"classify", "unnormalized_density", "sample", "conditional_sample"}


def test_random_state_is_pinned_where_the_estimator_has_one():
    for name in DISCRIMINATIVE:
        params = make(name).get_params()
        seeds = {k: v for k, v in params.items() if k.endswith("random_state")}
        assert all(v == 0 for v in seeds.values()), (name, seeds)


def test_make_passes_params_to_set_params():
    assert make("tree", max_depth=3).max_depth == 3
    assert make("logreg-unreg", clf__C=0.5).named_steps["clf"].C == 0.5
    assert make("qda").covariance == "full" and make("lda").covariance == "tied"
    with pytest.raises(ValueError, match="no_such_param"):
        make("tree", no_such_param=1)


def test_unknown_name_lists_known_names_and_suggests_close_ones():
    with pytest.raises(ValueError, match="unknown model 'logrg'") as info:
        make("logrg")
    message = str(info.value)
    assert "Did you mean 'logreg'" in message
    for name in GENERATIVE | DISCRIMINATIVE | HYBRID:
        assert name in message
    with pytest.raises(ValueError, match="unknown model"):
        spec("zzzz")


def test_register_rejects_duplicates(isolated_registry):
    with pytest.raises(ValueError, match="already registered"):
        register(ModelSpec("tree", "discriminative", LogisticRegression))


def test_model_spec_validates_its_fields():
    with pytest.raises(ValueError, match="family"):
        ModelSpec("x", "bayesian", LogisticRegression)
    with pytest.raises(TypeError, match="callable"):
        ModelSpec("x", "hybrid", LogisticRegression())
    with pytest.raises(TypeError, match="modality"):
        ModelSpec("x", "hybrid", LogisticRegression, modality="tabular")


class _Declares(ClassifierMixin, BaseEstimator):
    """Test-only estimator declaring its own capabilities."""

    def _capabilities(self):
        return frozenset({"classify", "semi_supervised"})


def test_available_reads_capabilities_from_the_instance(isolated_registry):
    register(ModelSpec("declares", "hybrid", _Declares, ("text",), "test model"))
    row = available().set_index("name").loc["declares"]
    assert row.capabilities == "classify,semi_supervised"
    assert (row.family, row.modality) == ("hybrid", "text")
    assert isinstance(make("declares"), _Declares)


def test_hist_gb_reports_missing_features_and_fits_with_nan():
    assert "missing_features" in capabilities(make("hist-gb"))
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    y = (X[:, 0] > 0).astype(int)
    X[::4, 1] = np.nan
    proba = make("hist-gb", max_iter=5).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_pipeline_keeps_the_nan_tag_of_its_steps():
    hgb = [("scale", StandardScaler()), ("clf", HistGradientBoostingClassifier())]
    lr = [("scale", StandardScaler()), ("clf", LogisticRegression())]
    # scikit-learn's Pipeline drops allow_nan; capabilities() reads it off the steps
    assert "missing_features" in capabilities(Pipeline(hgb))
    # imputing is not marginalizing: an imputer before a NaN-rejecting model does not count
    assert "missing_features" not in capabilities(
        Pipeline([("impute", SimpleImputer()), ("clf", LogisticRegression())])
    )
    assert capabilities(Pipeline(lr)) == {"classify"}
    assert capabilities(Pipeline([("scale", "passthrough"), hgb[1]])) == {
        "classify", "missing_features"
    }
    assert "missing_features" not in capabilities(make("logreg"))


def test_available_survives_a_model_whose_code_is_missing(isolated_registry):
    def broken():
        raise ImportError("needs the optional package 'nothere'")

    register(ModelSpec("broken", "generative", broken))
    table = available()
    assert isinstance(table, pd.DataFrame)
    assert table.set_index("name").loc["broken"].capabilities.startswith("unavailable")


def test_spec_reads_capabilities_and_input_kind_once(isolated_registry):
    built = []

    def factory():
        built.append(1)
        return LogisticRegression()

    entry = register(ModelSpec("counted", "discriminative", factory))
    assert entry.capabilities == capabilities(LogisticRegression())
    assert entry.input_kind == "tabular"
    assert spec("counted").capabilities is entry.capabilities
    available()
    assert len(built) == 1  # one instance answered every question
    assert make("counted") is not make("counted")  # make still builds fresh ones
    assert spec("hmm-classifier").input_kind == "sequence"
    assert spec("char-ngram-classifier").input_kind == "text"


def test_names_lists_the_registry_in_order(isolated_registry):
    register(ModelSpec("last-one", "discriminative", LogisticRegression))
    assert registry.names()[0] == "gaussian-nb"
    assert registry.names()[-1] == "last-one"
    assert set(registry.names()) == set(available().name)


def test_registered_restores_the_registry_and_unregister_removes():
    from sklearn.dummy import DummyClassifier

    before = registry.names()
    entry = ModelSpec("tmp-model", "discriminative", DummyClassifier)
    with registry.registered(entry):
        assert registry.names() == [*before, "tmp-model"]
        assert registry.unregister("lda").name == "lda"
        assert "lda" not in registry.names()
        with pytest.raises(ValueError, match="already registered"):
            registry.register(entry)
    assert registry.names() == before  # both the addition and the removal are undone
    with pytest.raises(ValueError, match="unknown model 'no-such-model'"):
        registry.unregister("no-such-model")
