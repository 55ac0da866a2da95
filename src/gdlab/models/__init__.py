"""gdlab models: generative, discriminative and hybrid, under one contract.

Generative classifiers implement ``log_joint`` / ``sample`` (see
:mod:`gdlab.base`); discriminative ones are configured scikit-learn
estimators reached through the registry (:func:`make`, :func:`available`).
"""

from gdlab.base import ClassConditional
from gdlab.models.gaussian import GaussianClassifier, GaussianDensity
from gdlab.models.kde import KDEClassifier, KernelDensity
from gdlab.models.mixture import GaussianMixture, GaussianMixtureBIC, GMMClassifier
from gdlab.models.naive_bayes import (
    BernoulliNB,
    CategoricalNB,
    ComplementNB,
    GaussianNB,
    MixedNB,
    MultinomialNB,
)
from gdlab.models.registry import ModelSpec, available, make, register, spec

# Torch and text models are imported on first use (``gdlab.models.VAE``), so that
# ``import gdlab`` stays fast and does not import torch.
_LAZY = {
    "HMM": "hmm", "HMMClassifier": "hmm",
    "GRUClassifier": "rnn",
    "VAE": "vae", "CVAE": "vae", "M2VAE": "vae", "VAEPretrainClassifier": "vae_pretrain",
    "GAN": "gan", "ConditionalGAN": "gan", "SemiSupervisedGAN": "gan",
    "DiffusionModel": "diffusion", "ConditionalDiffusion": "diffusion",
    "MLPClassifier": "networks", "CNNClassifier": "networks",
    "JEMClassifier": "jem", "JEMCNNClassifier": "jem",
    "CharNGramLM": "ngram", "CharNGramClassifier": "ngram",
    "NBSVM": "text", "TextColumn": "text",
    "CharGPT": "gpt", "LabelPrefixGPT": "gpt", "GPTClassifier": "gpt", "GPTConfig": "gpt",
    "MaskedLMEncoder": "encoder", "BERTClassifier": "encoder",
    "HFCausalLM": "hf", "HFGenerativeClassifier": "hf", "HFEncoderClassifier": "hf",
    "GenerativeAugmentation": "augmentation", "SMOTESampler": "augmentation",
    "BlendGaussianNB": "blend", "BlendMultinomialNB": "blend", "BlendBernoulliNB": "blend",
    "BlendGaussianClassifier": "blend",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"gdlab.models.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'gdlab.models' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])

__all__ = [  # noqa: PLE0604
    *_LAZY,
    "BernoulliNB",
    "CategoricalNB",
    "ClassConditional",
    "ComplementNB",
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
