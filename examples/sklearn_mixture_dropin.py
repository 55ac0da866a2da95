"""A scikit-learn GaussianMixture script, run on gdlab: only the import line differs.

Model selection by BIC over covariance types and component counts (as in
scikit-learn's user guide), a full-covariance fit with its responsibilities,
densities and parameters, ``init_params="random_from_data"``, a warm-started
refit, and sampling. With ``from sklearn.mixture import GaussianMixture``
instead, the same script runs on scikit-learn
(tests/models/test_mixture.py runs both and compares them).

What differs, on purpose: ``covariances_`` is always (n_components, d, d) in
gdlab (scikit-learn stores "tied" as (d, d) and "diag"/"spherical" compactly), so
this script reads it only for "full"; ``sample`` draws in another order (same
distribution).

    python examples/sklearn_mixture_dropin.py
"""

import warnings

import numpy as np
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from gdlab.sklearn.mixture import GaussianMixture

results = {}
X = StandardScaler().fit_transform(load_iris().data)

# -- choose the covariance type and number of components by BIC ---------------------------------
bic = {}
for covariance_type in ("spherical", "tied", "diag", "full"):
    for n_components in range(1, 5):
        gm = GaussianMixture(n_components, covariance_type=covariance_type, random_state=0)
        bic[covariance_type, n_components] = gm.fit(X).bic(X)
results["bic"] = np.array(list(bic.values()))
results["best"] = min(bic, key=bic.get)

# -- a full-covariance mixture: parameters, responsibilities, densities ------------------------
gm = GaussianMixture(3, covariance_type="full", random_state=0).fit(X)
results["means"], results["weights"] = gm.means_, gm.weights_
results["covariances"] = gm.covariances_
results["proba"] = gm.predict_proba(X)
results["labels"] = gm.predict(X)
results["log_density"] = gm.score_samples(X)
results["lower_bound"], results["n_iter"] = gm.lower_bound_, gm.n_iter_
results["aic"] = gm.aic(X)

# -- random rows as initial means, then a warm-started refit from where it stopped -------------
gm = GaussianMixture(
    3, init_params="random_from_data", max_iter=5, tol=0, warm_start=True, random_state=1
)  # 5 iterations do not converge: both libraries warn
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    gm.fit(X)
    results["warm_first"] = gm.means_.copy()
    gm.fit(X)  # five more iterations from the previous parameters
results["warm_second"] = gm.means_
results["warm_bounds"] = np.array(gm.lower_bounds_)

# -- sampling -------------------------------------------------------------------------------
X_new, labels = gm.sample(500)
results["sample_shape"] = X_new.shape

if __name__ == "__main__":
    print("lowest BIC:", results["best"])
    print("full, 3 components: lower bound", round(float(results["lower_bound"]), 6),
          "after", results["n_iter"], "iterations")
    print("warm start: lower bounds", results["warm_bounds"].round(4))
