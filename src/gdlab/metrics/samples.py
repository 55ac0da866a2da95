"""Sample quality: how close are a generative model's draws to real data?

Two-sample distances between a set of real rows and a set of generated rows:

- :func:`mmd_rbf`: unbiased estimate of the squared maximum mean discrepancy
  with a Gaussian (RBF) kernel, bandwidth by the median heuristic.
- :func:`c2st_auc`: classifier two-sample test, the cross-validated AUC of a
  fixed classifier telling real from generated rows (0.5: indistinguishable).
- :func:`frechet_distance`: Fréchet distance between Gaussians fitted to two
  sets of features (FID when the features come from Inception; here from
  :class:`gdlab.studies.features.FeatureNet`, a small network trained on the
  real data).
- :func:`precision_recall_knn`: k-NN precision (how much of the generated set
  lies on the real manifold) and recall (how much of the real manifold the
  generated set covers), Kynkäänniemi et al. 2019.

Usefulness of the samples as data:

- :func:`tstr_accuracy`: train on synthetic, test on real.
- :func:`held_out_accuracy`: accuracy of a classifier trained on real data on
  class-conditional samples (do draws for class k look like class k?).

Every function checks its inputs (2-D, finite, matching widths) and raises
``ValueError`` naming what was expected and what came.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> real, same, shifted = rng.normal(size=(200, 2)), rng.normal(size=(200, 2)), \
rng.normal(2.0, 1.0, size=(200, 2))
>>> mmd_rbf(real, same) < 0.01 < mmd_rbf(real, shifted)
True
>>> round(frechet_distance(real, real), 6)
0.0
>>> precision_recall_knn(real, real)
(1.0, 1.0)
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import linalg
from scipy.spatial.distance import cdist, pdist

from gdlab._param_checks import check_int
from gdlab._validation import check_random_state

__all__ = [
    "mmd_rbf",
    "median_bandwidth",
    "c2st_auc",
    "c2st_classifier",
    "tstr_accuracy",
    "held_out_accuracy",
    "frechet_distance",
    "frechet_distance_gaussian",
    "precision_recall_knn",
]


def _check_rows(A, name: str, *, min_rows: int = 2) -> np.ndarray:
    try:
        A = np.asarray(A, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a numeric 2-D array, but {err}.") from err
    if A.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {A.shape}.")
    if A.shape[0] < min_rows or A.shape[1] < 1:
        raise ValueError(f"{name} needs at least {min_rows} rows and 1 feature, got shape "
                         f"{A.shape}.")
    if not np.isfinite(A).all():
        raise ValueError(f"{name} contains NaN or infinite values; drop or fix those rows "
                         "first.")
    return A


def _check_pair(X, Y, names=("X", "Y"), *, min_rows: int = 2):
    X = _check_rows(X, names[0], min_rows=min_rows)
    Y = _check_rows(Y, names[1], min_rows=min_rows)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"{names[0]} has {X.shape[1]} features but {names[1]} has "
                         f"{Y.shape[1]}; both sets must have the same columns.")
    return X, Y


# --------------------------------------------------------------------------- MMD


def median_bandwidth(X, Y) -> float:
    """Median heuristic: the median Euclidean distance between distinct rows of X and Y pooled.

    Zero distances (duplicate rows) are left out; when every row is identical
    the bandwidth is 1 (every kernel value is then 1 whatever the bandwidth).

    Parameters
    ----------
    X, Y : array-like of shape (n, n_features), (m, n_features)

    Returns
    -------
    float
    """
    X, Y = _check_pair(X, Y)
    d = pdist(np.vstack([X, Y]))
    d = d[d > 0]
    return float(np.median(d)) if d.size else 1.0


def mmd_rbf(X, Y, bandwidth="median") -> float:
    """Unbiased estimate of the squared MMD between two samples, Gaussian kernel.

    With ``k(a, b) = exp(-||a - b||^2 / (2 * bandwidth^2))``::

        MMD^2 = mean_{i != j} k(x_i, x_j) + mean_{i != j} k(y_i, y_j) - 2 mean_{i, j} k(x_i, y_j)

    (Gretton et al. 2012, the U-statistic). Its expectation is 0 exactly
    when both samples come from the same distribution, so small negative
    values occur by chance. Compare sets on the same scale (standardize with
    the real data's statistics first when features have different units).

    Parameters
    ----------
    X : array-like of shape (n, n_features)
        At least 2 rows (e.g. real data).
    Y : array-like of shape (m, n_features)
        At least 2 rows (e.g. samples).
    bandwidth : "median" or float, default="median"
        Kernel width; ``"median"`` takes :func:`median_bandwidth` of the pooled rows.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0]]); Y = np.array([[0.0], [1.0]])
    >>> mmd_rbf(X, Y, bandwidth=1.0) < 0  # identical sets: the unbiased estimate dips below 0
    True
    """
    X, Y = _check_pair(X, Y)
    if isinstance(bandwidth, str) and bandwidth == "median":
        h = median_bandwidth(X, Y)
    elif isinstance(bandwidth, (str, bool)) or not isinstance(bandwidth, numbers.Real) or \
            not np.isfinite(bandwidth) or bandwidth <= 0:
        raise ValueError(f"bandwidth must be 'median' or a positive float, got {bandwidth!r}.")
    else:
        h = float(bandwidth)
    gamma = 1.0 / (2.0 * h * h)
    n, m = len(X), len(Y)
    kxx = np.exp(-gamma * cdist(X, X, "sqeuclidean"))
    kyy = np.exp(-gamma * cdist(Y, Y, "sqeuclidean"))
    kxy = np.exp(-gamma * cdist(X, Y, "sqeuclidean"))
    xx = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(xx + yy - 2.0 * kxy.mean())


# --------------------------------------------------------------------------- C2ST


def c2st_classifier(random_state=0):
    """The fixed classifier of :func:`c2st_auc`: a random forest of 50 trees.

    A forest needs no scaling, finds differences in any moment or in the
    dependence between features (a linear classifier only sees mean shifts),
    and works from a few dozen rows (leaves of one row, ``max_features="sqrt"``).
    """
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=50, max_features="sqrt", n_jobs=1,
                                  random_state=random_state)


def c2st_auc(real, fake, *, random_state=0, cv: int = 5, classifier=None) -> float:
    """Classifier two-sample test: cross-validated AUC of telling real from generated rows.

    Rows are labelled by origin (real 0, fake 1); a fixed classifier
    (:func:`c2st_classifier`, unless ``classifier`` is given) is scored by
    stratified ``cv``-fold cross-validation and the mean ROC AUC over the
    folds is returned (Lopez-Paz & Oquab 2017). AUC does not depend on the
    ratio of the two set sizes.

    Parameters
    ----------
    real : array-like of shape (n, n_features)
    fake : array-like of shape (m, n_features)
        Each at least ``cv`` rows.
    random_state : int, default=0
        Seeds the folds and the classifier.
    cv : int, default=5
        Number of folds (>= 2).
    classifier : classifier with predict_proba, optional
        Cloned for every fold.

    Returns
    -------
    float
        About 0.5 when the sets cannot be told apart, 1.0 when they are fully
        separable. Values clearly below 0.5 happen only by chance (or when the
        fake rows are copies of real ones).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> real = rng.normal(size=(100, 2))
    >>> c2st_auc(real, rng.normal(3.0, 1.0, size=(100, 2))) > 0.95
    True
    """
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    cv = check_int(cv, "cv", minimum=2)
    real, fake = _check_pair(real, fake, ("real", "fake"), min_rows=cv)
    X = np.vstack([real, fake])
    y = np.r_[np.zeros(len(real), dtype=int), np.ones(len(fake), dtype=int)]
    seed = int(check_random_state(random_state).randint(0, 2**31 - 1)) \
        if not isinstance(random_state, numbers.Integral) else int(random_state)
    model = clone(classifier) if classifier is not None else c2st_classifier(seed)
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    return float(np.mean(cross_val_score(model, X, y, cv=folds, scoring="roc_auc")))


# --------------------------------------------------------------------------- usefulness


def _default_classifier(random_state=0):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("scale", StandardScaler()),
                     ("clf", LogisticRegression(max_iter=2000, random_state=random_state))])


def _check_labelled(X, y, name: str) -> tuple[np.ndarray, np.ndarray]:
    X = _check_rows(X, f"X_{name}", min_rows=1)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"y_{name} must be 1-D with one label per row of X_{name} "
                         f"({len(X)}), got shape {y.shape}.")
    return X, y


def tstr_accuracy(X_syn, y_syn, X_real_test, y_real_test, estimator=None) -> float:
    """Train on synthetic, test on real: accuracy on real rows of a classifier fit on samples.

    Parameters
    ----------
    X_syn : array-like of shape (n, n_features)
        Generated rows (e.g. ``model.sample(n, y=k)`` for every class k).
    y_syn : array-like of shape (n,)
        The class each row was drawn for; at least two classes.
    X_real_test : array-like of shape (m, n_features)
    y_real_test : array-like of shape (m,)
    estimator : classifier, optional
        Cloned and fit on the synthetic rows; default standardize + logistic
        regression (the same judge as :func:`held_out_accuracy` in the studies).

    Returns
    -------
    float
        Compare with the same classifier trained on real rows (train on real,
        test on real).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.2], [1.0], [1.2]]); y = np.array([0, 0, 1, 1])
    >>> tstr_accuracy(X, y, np.array([[0.1], [1.1]]), np.array([0, 1]))
    1.0
    """
    from sklearn.base import clone

    X_syn, y_syn = _check_labelled(X_syn, y_syn, "syn")
    X_real_test, y_real_test = _check_labelled(X_real_test, y_real_test, "real_test")
    if X_syn.shape[1] != X_real_test.shape[1]:
        raise ValueError(f"X_syn has {X_syn.shape[1]} features but X_real_test has "
                         f"{X_real_test.shape[1]}.")
    if len(np.unique(y_syn)) < 2:
        raise ValueError(f"y_syn must hold at least two classes to train a classifier, got "
                         f"{np.unique(y_syn).tolist()!r}.")
    model = clone(estimator) if estimator is not None else _default_classifier()
    model.fit(X_syn, y_syn)
    return float(np.mean(model.predict(X_real_test) == y_real_test))


def held_out_accuracy(judge, X_syn, y_syn) -> float:
    """Fraction of class-conditional samples that a classifier trained on real data gets right.

    Parameters
    ----------
    judge : fitted classifier
        Trained on real rows only (never on the samples).
    X_syn : array-like of shape (n, n_features)
    y_syn : array-like of shape (n,)
        The class each row was drawn for.

    Returns
    -------
    float
        Compare with the judge's accuracy on real held-out rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> judge = KNeighborsClassifier(1).fit([[0.0], [1.0]], [0, 1])
    >>> held_out_accuracy(judge, [[0.1], [0.9], [0.2]], [0, 1, 1])
    0.6666666666666666
    """
    from sklearn.utils.validation import check_is_fitted

    if not hasattr(judge, "predict"):
        raise TypeError(f"judge must be a fitted classifier with predict, got "
                        f"{type(judge).__name__}.")
    check_is_fitted(judge)
    X_syn, y_syn = _check_labelled(X_syn, y_syn, "syn")
    return float(np.mean(judge.predict(X_syn) == y_syn))


# --------------------------------------------------------------------------- Fréchet


def _sqrt_psd(S: np.ndarray) -> np.ndarray:
    w, V = linalg.eigh(S)
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def frechet_distance_gaussian(mu1, cov1, mu2, cov2) -> float:
    """Squared Fréchet (2-Wasserstein) distance between two Gaussians.

    ``||mu1 - mu2||^2 + tr(cov1 + cov2 - 2 (cov1^1/2 cov2 cov1^1/2)^1/2)``.
    The trace of the matrix square root is computed from the eigenvalues of
    the symmetric matrix ``cov1^1/2 cov2 cov1^1/2`` (:func:`scipy.linalg.eigh`,
    negative round-off clipped to 0), which equals ``tr sqrtm(cov1 cov2)`` but
    is real and stable for singular covariances, where ``sqrtm(cov1 @ cov2)``
    can return complex values.

    Parameters
    ----------
    mu1, mu2 : array-like of shape (d,)
    cov1, cov2 : array-like of shape (d, d)
        Symmetric positive semi-definite.

    Returns
    -------
    float (>= 0)

    Examples
    --------
    >>> frechet_distance_gaussian([0, 0], [[1, 0], [0, 4]], [1, 0], [[4, 0], [0, 1]])
    3.0
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, float)), np.atleast_1d(np.asarray(mu2, float))
    cov1, cov2 = np.atleast_2d(np.asarray(cov1, float)), np.atleast_2d(np.asarray(cov2, float))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise ValueError(f"expected means of shape (d,) and covariances (d, d), got "
                         f"{mu1.shape}, {cov1.shape}, {mu2.shape}, {cov2.shape}.")
    for name, a in (("mu1", mu1), ("mu2", mu2), ("cov1", cov1), ("cov2", cov2)):
        if not np.isfinite(a).all():
            raise ValueError(f"{name} contains NaN or infinite values.")
    cov1, cov2 = (cov1 + cov1.T) / 2, (cov2 + cov2.T) / 2
    r1 = _sqrt_psd(cov1)
    middle = r1 @ cov2 @ r1
    w = linalg.eigvalsh((middle + middle.T) / 2)
    tr_sqrt = float(np.sqrt(np.clip(w, 0.0, None)).sum())
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * tr_sqrt)
    return max(value, 0.0)


def frechet_distance(real_features, fake_features) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (FID's formula).

    Means and covariances (``ddof=1``) of each set, then
    :func:`frechet_distance_gaussian`. The estimate is biased upward for
    small sets, so compare values computed with the same set sizes (the
    samples study compares a model and a real reference set of equal size).

    Parameters
    ----------
    real_features : array-like of shape (n, d)
    fake_features : array-like of shape (m, d)
        At least 2 rows each.

    Returns
    -------
    float (>= 0); 0 for identical sets.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
    >>> round(frechet_distance(A, A + [3.0, 4.0]), 6)  # a shift by (3, 4): 3^2 + 4^2
    25.0
    """
    R, F = _check_pair(real_features, fake_features, ("real_features", "fake_features"))
    return frechet_distance_gaussian(R.mean(axis=0), np.atleast_2d(np.cov(R, rowvar=False)),
                                     F.mean(axis=0), np.atleast_2d(np.cov(F, rowvar=False)))


# --------------------------------------------------------------------------- k-NN P/R


def _kth_neighbor_radii(A: np.ndarray, k: int, chunk: int) -> np.ndarray:
    """Distance from each row of A to its k-th nearest other row of A."""
    radii = np.empty(len(A))
    for i in range(0, len(A), chunk):
        d = cdist(A[i:i + chunk], A)
        # column 0 of the sorted row is the point itself (distance 0)
        radii[i:i + chunk] = np.partition(d, k, axis=1)[:, k]
    return radii


def _covered(points: np.ndarray, centers: np.ndarray, radii: np.ndarray, chunk: int) -> np.ndarray:
    """Whether each point lies in at least one ball (center, radius)."""
    inside = np.empty(len(points), dtype=bool)
    for i in range(0, len(points), chunk):
        d = cdist(points[i:i + chunk], centers)
        inside[i:i + chunk] = (d <= radii[None, :]).any(axis=1)
    return inside


def precision_recall_knn(real, fake, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall of a generated set (Kynkäänniemi et al. 2019).

    The real manifold is the union of balls around the real rows, each with
    the radius to its ``k``-th nearest real neighbour; likewise for the fake
    manifold. *Precision* is the fraction of fake rows inside the real
    manifold (are the samples realistic?); *recall* the fraction of real rows
    inside the fake manifold (do the samples cover the data?). Compute both
    on features (:class:`FeatureNet`) or on standardized rows.

    Parameters
    ----------
    real : array-like of shape (n, d)
    fake : array-like of shape (m, d)
        Each with more than ``k`` rows.
    k : int, default=3

    Returns
    -------
    precision, recall : float
        Both 1 for identical sets, both 0 for sets farther apart than any radius.

    Examples
    --------
    >>> import numpy as np
    >>> real = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> precision_recall_knn(real, real + 100.0, k=1)
    (0.0, 0.0)
    """
    k = check_int(k, "k")
    real, fake = _check_pair(real, fake, ("real", "fake"), min_rows=k + 1)
    chunk = max(1, 2**22 // max(len(real), len(fake)))
    real_r = _kth_neighbor_radii(real, k, chunk)
    fake_r = _kth_neighbor_radii(fake, k, chunk)
    precision = float(_covered(fake, real, real_r, chunk).mean())
    recall = float(_covered(real, fake, fake_r, chunk).mean())
    return precision, recall
