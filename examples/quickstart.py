"""Quick start: one generative classifier, everything it can do beyond predict.

Run with ``.venv/bin/python examples/quickstart.py``.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import gdlab
from gdlab.models import GaussianClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

# LDA: Gaussian classes with one shared covariance, i.e. p(x | y) p(y).
model = GaussianClassifier(covariance="tied").fit(X_train, y_train)
print("accuracy:", round(model.score(X_test, y_test), 3))

# Classify with missing features: NaN entries are marginalized out, not imputed.
X_holes = X_test.copy()
rng = np.random.RandomState(0)
X_holes[rng.uniform(size=X_holes.shape) < 0.5] = np.nan
print("accuracy with 50% of entries missing:", round(model.score(X_holes, y_test), 3))
print("p(y | x_observed) for the first row:", model.predict_proba(X_holes[:1]).round(3))

# Density: log p(x), low for anomalies.
print("mean log p(x) test:", round(model.score_samples(X_test).mean(), 1))
print("mean log p(x) shuffled columns:", round(model.score_samples(X_test[:, ::-1]).mean(), 1))

# Sample from p(x | y = 1).
X_new, y_new = model.sample(3, y=1, random_state=0)
print("sampled rows:", X_new.shape, "labels:", y_new)

# Impute: the conditional-Gaussian mean of the missing entries given the observed ones.
filled = model.impute(X_holes[:5])
print("imputed first row, first 4 features:", filled[0, :4].round(2))

# Capabilities, and saving without pickle.
print("capabilities:", sorted(model.capabilities))
gdlab.save(model, "/tmp/lda.gdlab")
again = gdlab.load("/tmp/lda.gdlab")
assert np.array_equal(again.predict_proba(X_holes), model.predict_proba(X_holes))
print("saved and loaded: identical predictions")
