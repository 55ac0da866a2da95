"""Sample quality of the neural conditional generators on 8x8 digits, against real-vs-real.

The issue's measurement ("neural generative models"): for the conditional VAE,
the conditional GAN and conditional diffusion, a held-out SVM trained on real
digits must label at least 90 % of 1,000 class-conditional samples as the
intended class; C2ST AUC and Fréchet distance are reported for each, with real
data against real data as the reference.

Data: ``sklearn.datasets.load_digits`` (1,797 images, integer pixels 0..16),
one stratified split with ``--seed``: the training split *T* (1,347 rows) and
the held-out split *H* (450 rows). Every model is fit on *T* only and draws
1,000 samples, 100 per digit (``sample(y=..., random_state=seed)``).

Measured for each model (all functions from :mod:`gdlab.metrics.samples`):

- ``judge``: the judge is scikit-learn ``SVC()`` (RBF kernel) trained on *T*;
  the number is the fraction of the 1,000 samples it labels as the digit they
  were drawn for (:func:`held_out_accuracy`). Goal: >= 0.90. For the reference
  row it is the judge's accuracy on the real held-out digits *H*.
- The two-sample measures compare a set with *T*. The reference row uses *H*
  itself (450 fresh real digits: what a perfect generator would score). So that
  the model rows see the same set size and class counts, they use, per digit,
  the first (count of that digit in *H*) of its 100 samples: 450 samples in all.
  This matters for the Fréchet distance and the MMD, whose estimates depend on
  the set sizes.

  - ``C2ST``: classifier two-sample test (:func:`c2st_auc`, a random forest,
    5-fold ROC AUC; 0.5 = indistinguishable) on the raw pixels.
  - ``C2ST grid``: the same after rounding the samples to integers and
    clipping them to 0..16. Real pixels are integers in 0..16 (with many exact
    zeros), continuous samples are not, and a forest separates the two sets on
    that alone, so the raw AUC is ~1 for every model; on the pixel grid the
    test measures what the images look like. (*H* is already on the grid.)
  - ``C2ST feat.``: the same test on the features below.
  - ``Fréchet``: Fréchet distance between Gaussians fitted to the features of
    *T* and of the set (:func:`frechet_distance`), the features being the last
    hidden layer (32 units) of a fixed :class:`FeatureNet` trained once on *T*
    (FID with a small digits classifier in place of Inception).
  - ``MMD``: unbiased squared MMD, RBF kernel with the median bandwidth
    (:func:`mmd_rbf`), on pixels standardized by *T*'s means and standard
    deviations (constant pixels scale 1).
  - ``prec.``/``recall``: k-NN precision and recall (Kynkäänniemi et al. 2019,
    k = 3, :func:`precision_recall_knn`) in the feature space.

Models, with the settings that reached the goal in the development notes
(``device="auto"``; the device used is printed):

- ``cvae``: ``CVAE(latent_dim=8, hidden=(128,), likelihood="bernoulli",
  max_epochs=50)`` fit on pixels / 16; samples are decoder means, times 16.
- ``cgan``: ``ConditionalGAN(max_epochs=300)`` (MLP 128-128, latent 16, R1
  penalty, lr 1e-3, batches of 64).
- ``diffusion``: ``ConditionalDiffusion(n_steps=200, hidden_sizes=(256, 256,
  256), max_epochs=300, lr=2e-3, validation_fraction=0, patience=None)``
  (MLP denoiser, cosine schedule, DDPM sampling, no guidance).

``--quick`` trains each model for 2 epochs (and diffusion with 20 steps): a
smoke test of the script, not a measurement.

    OMP_NUM_THREADS=2 python benchmarks/quality_digits.py [--quick] [--seed 0]
        [--models cvae cgan diffusion] [--out results.csv] [--grid samples.png]
"""

from __future__ import annotations

import argparse
import csv
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from gdlab.metrics.samples import (
    c2st_auc,
    frechet_distance,
    held_out_accuracy,
    mmd_rbf,
    precision_recall_knn,
)
from gdlab.studies.features import feature_extractor

N_PER_CLASS = 100
HELD_OUT = 450
PIXEL_MAX = 16.0


def make_cvae(seed, quick):
    from gdlab.models.vae import CVAE

    return CVAE(latent_dim=8, hidden=(128,), likelihood="bernoulli",
                max_epochs=2 if quick else 50, random_state=seed)


def make_cgan(seed, quick):
    from gdlab.models.gan import ConditionalGAN

    return ConditionalGAN(max_epochs=2 if quick else 300, random_state=seed)


def make_diffusion(seed, quick):
    from gdlab.models.diffusion import ConditionalDiffusion

    return ConditionalDiffusion(n_steps=20 if quick else 200, hidden_sizes=(256, 256, 256),
                                max_epochs=2 if quick else 300, lr=2e-3, batch_size=128,
                                validation_fraction=0.0, patience=None, random_state=seed)


#: name -> (factory(seed, quick), scale of the pixels the model is fit on)
MODELS = {
    "cvae": (make_cvae, PIXEL_MAX),  # Bernoulli decoder: pixels in [0, 1]
    "cgan": (make_cgan, 1.0),
    "diffusion": (make_diffusion, 1.0),
}

COLUMNS = [  # (CSV key, table header, format)
    ("model", "model", "{}"),
    ("device", "device", "{}"),
    ("fit_seconds", "fit s", "{:.1f}"),
    ("sample_seconds", "sample s", "{:.1f}"),
    ("judge_accuracy", "judge acc.", "{:.3f}"),
    ("c2st_auc", "C2ST", "{:.3f}"),
    ("c2st_auc_grid", "C2ST grid", "{:.3f}"),
    ("c2st_auc_features", "C2ST feat.", "{:.3f}"),
    ("frechet_distance", "Fréchet", "{:.2f}"),
    ("mmd", "MMD", "{:.4f}"),
    ("knn_precision", "prec.", "{:.3f}"),
    ("knn_recall", "recall", "{:.3f}"),
]


class Reference:
    """The training split *T*, what is computed from it once, and the comparison of a set with it.

    Parameters
    ----------
    X_T, y_T : ndarray
        The real training split (pixels 0..16) and its labels.
    seed : int
        Seeds the feature network and the two-sample tests.
    """

    def __init__(self, X_T, y_T, seed):
        self.X_T, self.seed = X_T, seed
        std = X_T.std(axis=0)
        self.mean, self.scale = X_T.mean(axis=0), np.where(std > 0, std, 1.0)
        self.T_std = (X_T - self.mean) / self.scale
        self.features = feature_extractor(X_T, y_T, random_state=seed)
        self.F_T = self.features(X_T)

    def compare(self, S) -> dict[str, float]:
        """Two-sample measures of the rows ``S`` (pixels 0..16 scale) against *T*."""
        F_S = self.features(S)
        grid = np.clip(np.round(S), 0.0, PIXEL_MAX)
        precision, recall = precision_recall_knn(self.F_T, F_S, k=3)
        return {
            "c2st_auc": c2st_auc(self.X_T, S, random_state=self.seed),
            "c2st_auc_grid": c2st_auc(self.X_T, grid, random_state=self.seed),
            "c2st_auc_features": c2st_auc(self.F_T, F_S, random_state=self.seed),
            "frechet_distance": frechet_distance(self.F_T, F_S),
            "mmd": mmd_rbf(self.T_std, (S - self.mean) / self.scale),
            "knn_precision": precision,
            "knn_recall": recall,
        }


def size_matched(S, S_y, y_H):
    """Per class, the first (count of that class in ``y_H``) rows of ``S``: a set shaped like H."""
    keep = np.concatenate([np.flatnonzero(S_y == k)[:np.sum(y_H == k)] for k in np.unique(y_H)])
    return S[keep]


def evaluate(name, args, ref, judge, X_T, y_T, y_H):
    """Fit one model on T, draw 100 samples per digit, and measure them."""
    factory, scale = MODELS[name]
    model = factory(args.seed, args.quick)
    start = time.perf_counter()
    model.fit(X_T / scale, y_T)
    fit_s = time.perf_counter() - start
    labels = np.repeat(np.arange(10), N_PER_CLASS)
    start = time.perf_counter()
    S, S_y = model.sample(y=labels, random_state=args.seed)
    sample_s = time.perf_counter() - start
    S = np.asarray(S, dtype=np.float64) * scale
    if not np.isfinite(S).all():
        raise RuntimeError(f"{name}: {np.sum(~np.isfinite(S).all(axis=1))} samples are not "
                           "finite.")
    row = {"model": name, "device": str(model.device_), "fit_seconds": fit_s,
           "sample_seconds": sample_s, "judge_accuracy": held_out_accuracy(judge, S, S_y)}
    row.update(ref.compare(size_matched(S, S_y, y_H)))
    return row, S, S_y


def markdown_table(rows) -> str:
    lines = ["| " + " | ".join(head for _, head, _ in COLUMNS) + " |",
             "|" + "|".join("---" if key in ("model", "device") else "---:"
                            for key, _, _ in COLUMNS) + "|"]
    for row in rows:
        cells = [fmt.format(row[key]) if row.get(key) is not None else ""
                 for key, _, fmt in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def save_grid(path, panels):
    """One 10 x 10 image grid per panel (rows: digits 0..9, columns: the first 10 draws)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.5), squeeze=False)
    for ax, (title, (X, y)) in zip(axes[0], panels.items(), strict=True):
        tiles = np.ones((10 * 9 + 1, 10 * 9 + 1)) * PIXEL_MAX
        for k in range(10):
            for j, i in enumerate(np.flatnonzero(y == k)[:10]):
                tiles[1 + 9 * k:9 * k + 9, 1 + 9 * j:9 * j + 9] = X[i].reshape(8, 8)
        ax.imshow(np.clip(tiles, 0.0, PIXEL_MAX), cmap="gray_r", vmin=0.0, vmax=PIXEL_MAX)
        ax.set_title(title)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 epochs per model (smoke test)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the split, the models, the samples and the metrics")
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--out", default=None, help="write the table as CSV here")
    parser.add_argument("--grid", default=None, help="save a PNG of 10 x 10 samples per model")
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    X_T, X_H, y_T, y_H = train_test_split(X, y, test_size=HELD_OUT, stratify=y,
                                          random_state=args.seed)
    judge = SVC().fit(X_T, y_T)
    ref = Reference(X_T, y_T, args.seed)
    print(f"digits: train T {len(X_T)} rows, held-out H {len(X_H)} rows; judge SVC (rbf) "
          f"trained on T; {N_PER_CLASS} samples per digit; seed {args.seed}"
          + ("; QUICK (2 epochs, not a measurement)" if args.quick else ""))

    real = {"model": "real vs real (H vs T)", "device": "",
            "judge_accuracy": held_out_accuracy(judge, X_H, y_H)}
    real.update(ref.compare(X_H))
    rows, panels = [real], {"real (H)": (X_H, y_H)}
    for name in args.models:
        row, S, S_y = evaluate(name, args, ref, judge, X_T, y_T, y_H)
        print(f"{name}: fit {row['fit_seconds']:.1f} s on {row['device']}, "
              f"judge accuracy {row['judge_accuracy']:.3f}", flush=True)
        rows.append(row)
        panels[name] = (S, S_y)

    print()
    print(markdown_table(rows))
    print()
    print(f"judge acc.: fraction of the {10 * N_PER_CLASS} samples the SVM labels as the "
          "intended digit (goal >= 0.90; reference row: its accuracy on H). Two-sample "
          f"measures compare {len(X_H)} size-matched samples (H's class counts) with T; the "
          "reference row compares H with T.")
    failed = [r["model"] for r in rows[1:] if r["judge_accuracy"] < 0.9]
    print("goal (judge acc. >= 0.90): " + (f"MISSED by {', '.join(failed)}" if failed
                                            else "met by every model"))
    if args.out:
        with open(args.out, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=[key for key, _, _ in COLUMNS])
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {args.out}")
    if args.grid:
        save_grid(args.grid, panels)
        print(f"wrote {args.grid}")


if __name__ == "__main__":
    main()
