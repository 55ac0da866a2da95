"""scikit-learn's ``GaussianMixture`` interface over :class:`gdlab.models.mixture.GaussianMixture`.

The same EM (exact for NaN entries, which scikit-learn refuses), with
scikit-learn's names and defaults: ``covariance_type`` (gdlab: ``covariance``),
``init_params="kmeans"``, and ``sample(n_samples)`` returning ``(X, labels)``
drawn with ``random_state``, as scikit-learn does. ``verbose`` and
``verbose_interval`` are accepted and ignored.
"""

from __future__ import annotations

from gdlab._param_checks import check_in
from gdlab.distributions.gaussian import COVARIANCE_TYPES
from gdlab.models.mixture import MIXTURE_PARAMS
from gdlab.models.mixture import GaussianMixture as _GaussianMixture

__all__ = ["GaussianMixture"]


class GaussianMixture(_GaussianMixture):
    """:class:`gdlab.models.mixture.GaussianMixture` with scikit-learn's constructor.

    Parameters
    ----------
    n_components : int, default=1
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        gdlab's ``covariance``.
    tol, reg_covar, max_iter, n_init, weights_init, means_init, precisions_init, \
random_state, warm_start
        As in scikit-learn (and gdlab).
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        scikit-learn's default "kmeans" runs :class:`sklearn.cluster.KMeans`.
    verbose, verbose_interval : int
        Accepted for compatibility; nothing is printed.

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.sklearn.mixture import GaussianMixture
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(-3, 1, (100, 2)), rng.normal(3, 1, (100, 2))])
    >>> gm = GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    >>> X_new, labels = gm.sample(4)
    >>> X_new.shape, labels.shape
    ((4, 2), (4,))
    """

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
    ):
        self.covariance_type = covariance_type
        self._set_params(locals(), MIXTURE_PARAMS)
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    @property
    def covariance(self):
        """gdlab's name for ``covariance_type``."""
        return self.covariance_type

    def _check_params(self):
        # a bad value is named by the argument the caller wrote, not by gdlab's name
        check_in(self.covariance_type, "covariance_type", set(COVARIANCE_TYPES))
        return super()._check_params()

    def sample(self, n_samples=1):
        """Draw ``(X, labels)`` as scikit-learn does (seeded by ``random_state``).

        Parameters
        ----------
        n_samples : int, default=1

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        labels : ndarray of shape (n_samples,)
        """
        return self.sample_components(n_samples, random_state=self.random_state)
