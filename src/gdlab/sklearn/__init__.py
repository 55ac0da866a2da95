"""scikit-learn's constructor names over gdlab models, so scikit-learn scripts run unchanged.

``from gdlab.sklearn.mixture import GaussianMixture`` in place of
``from sklearn.mixture import GaussianMixture`` (see ``examples/sklearn_mixture_dropin.py``).
"""
