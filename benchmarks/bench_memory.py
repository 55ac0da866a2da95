"""Peak memory of the classical models' fit and predict_proba, over the size of the data.

For each model, on the same float64 data in one process (Gaussian classes, fixed
seed; 2,000,000 x 20 by default, the issue's measurement), the script reports

- ``traced``: the peak of :mod:`tracemalloc` during the call (numpy registers
  its buffers with tracemalloc, so this is every array the call allocates; the
  input X is allocated before and not counted);
- ``rss``: growth of the resident set during the call, read from Linux's
  ``VmHWM`` after resetting the high-water mark (``/proc/self/clear_refs``),
  minus ``VmRSS`` before the call (pages the allocator already holds and
  reuses are not counted; BLAS and library buffers are). Printed as ``n/a``
  where the kernel does not allow the reset;
- ``ratio``: each peak divided by the bytes of X (``X.nbytes``);
- ``seconds``: ``time.perf_counter`` around the same call, median of
  ``--repeats`` separate runs without tracemalloc.

scikit-learn's ``GaussianNB``, ``LinearDiscriminantAnalysis`` and
``QuadraticDiscriminantAnalysis`` are measured the same way on the same data.

    python benchmarks/bench_memory.py [--rows 2000000] [--features 20] [--repeats 3]
        [--models gaussian-nb lda qda gmm-classifier gaussian-mixture sk-nb sk-lda sk-qda]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np

MIB = 2.0**20
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def make_data(n_rows, n_features, n_classes=3, seed=0):
    """Gaussian classes with their own means and feature scales, float64, C order."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n_rows)
    means = rng.normal(0.0, 1.0, (n_classes, n_features))
    X = rng.standard_normal((n_rows, n_features))
    X *= rng.uniform(0.5, 2.0, (n_classes, n_features))[y]
    X += means[y]
    return X, y


def _status_kib(field):
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_rss_peak() -> bool:
    """Reset VmHWM to the current resident set (Linux >= 4.0); False where not allowed."""
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def measure(call):
    """(traced peak bytes, RSS growth bytes or None) of one call."""
    gc.collect()
    rss_ok = _reset_rss_peak()
    rss0 = _status_kib("VmRSS") if rss_ok else None
    tracemalloc.start()
    try:
        call()
        traced = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rss = (_status_kib("VmHWM") - rss0) * 1024 if rss_ok else None
    return traced, rss


def seconds(call, repeats):
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def models():
    """name -> factory of an unfitted model."""
    from sklearn.discriminant_analysis import (
        LinearDiscriminantAnalysis,
        QuadraticDiscriminantAnalysis,
    )
    from sklearn.naive_bayes import GaussianNB as SkGaussianNB

    from gdlab.models.mixture import GaussianMixture
    from gdlab.models.registry import make as make_model

    return {
        "gaussian-nb": lambda: make_model("gaussian-nb"),
        "lda": lambda: make_model("lda"),
        "qda": lambda: make_model("qda"),
        "gmm-classifier": lambda: make_model("gmm-classifier"),
        "gaussian-mixture": lambda: GaussianMixture(n_components=4, random_state=0),
        "sk-nb": SkGaussianNB,
        "sk-lda": LinearDiscriminantAnalysis,
        "sk-qda": QuadraticDiscriminantAnalysis,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=list(models()))
    args = parser.parse_args(argv)
    factories = models()
    unknown = sorted(set(args.models) - set(factories))
    if unknown:
        raise SystemExit(f"unknown model(s) {unknown}; expected some of {list(factories)}")

    X, y = make_data(args.rows, args.features)
    data = X.nbytes
    rss_ok = _reset_rss_peak()
    print(
        f"data: {X.shape[0]} x {X.shape[1]} float64 = {data / MIB:.1f} MiB, "
        f"{len(np.unique(y))} classes; peaks over the data already in memory "
        f"(traced: tracemalloc; rss: VmHWM growth{'' if rss_ok else ', not available here'}); "
        f"seconds: median of {args.repeats}"
    )
    print(
        f"{'model':<18} {'call':<14} {'traced MiB':>10} {'ratio':>6} "
        f"{'rss MiB':>8} {'ratio':>6} {'seconds':>8}"
    )
    for name in args.models:
        make = factories[name]
        fitted = make().fit(X, y)  # warm up imports and caches; the model for predict_proba
        calls = {
            "fit": lambda make=make: make().fit(X, y),
            "predict_proba": lambda fitted=fitted: fitted.predict_proba(X),
        }
        for what, call in calls.items():
            traced, rss = measure(call)
            secs = seconds(call, args.repeats)
            rss_text = (
                f"{rss / MIB:8.1f} {rss / data:6.2f}" if rss is not None else f"{'n/a':>8} {'':>6}"
            )
            print(
                f"{name:<18} {what:<14} {traced / MIB:10.1f} {traced / data:6.2f} "
                f"{rss_text} {secs:8.3f}",
                flush=True,
            )
        del fitted


if __name__ == "__main__":
    main()
