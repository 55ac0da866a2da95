"""Metrics of the studies, each a thin layer over :mod:`sklearn.metrics`.

Only the classification metrics are re-exported here; other modules of this
package (calibration, anomaly detection, cost) are imported by name.
"""

from gdlab.metrics.classification import align_proba, error_rate, log_loss

__all__ = ["error_rate", "log_loss", "align_proba"]
