"""Probability distributions the models are built from.

Each distribution owns its log-density (with missing entries marginalized where
the model allows it), its sufficient statistics and its sampler, so that naive
Bayes, the Gaussian classifier, the mixture, the HMM emissions and the synthetic
data sets share one implementation of each.
"""
