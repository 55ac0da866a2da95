"""Kingma et al.'s M2 semi-supervised VAE against labels-only logistic regression, on digits.

The claim of Kingma, Rezende, Mohamed & Welling (2014), scaled down to
scikit-learn's 8x8 digits: with few labels, a generative model of x trained
on the unlabelled rows too (M2, gdlab's ``m2-vae``) errs much less than a
classifier of the labelled rows alone, and the gap narrows as labels grow.

Protocol: ``load_digits`` (1,797 rows), for each split seed a stratified
1,347 / 450 train / test split (``train_test_split(test_size=450,
stratify=y, random_state=seed)``); then ``n`` labelled training rows, ``n / 10``
per class (drawn with ``numpy.random.default_rng(seed)``), the other training
rows unlabelled (``y = -1``). Pixels are scaled to [0, 1] (``X / 16``) for every
model. Models on the same split:

- ``logreg``: scikit-learn's ``LogisticRegression`` (C=1) on the labelled rows only;
- ``label-spreading``: scikit-learn's ``LabelSpreading(kernel="knn")`` on all
  training rows (the issue's other reference point);
- ``m2-vae``: :class:`gdlab.models.vae.M2VAE` on all training rows (settings below);
- ``vae-pretrain-finetune``: :class:`gdlab.models.vae_pretrain.VAEPretrainClassifier`,
  a VAE (the M2 shape: ``--latent``, ``--hidden``, ``--likelihood``) pretrained on all
  training rows for ``--pretrain-epochs``, its encoder then fine-tuned with a linear
  head on the labelled rows for ``--finetune-epochs`` (``--freeze-epochs`` of them
  with the encoder fixed);
- ``mlp``: :class:`gdlab.models.networks.MLPClassifier`, the fine-tuned network's
  shape (hidden layers ``--hidden``, a linear head) and training settings, from
  random weights, on the labelled rows only (what the pretraining is worth);
- ``ss-gan``: :class:`gdlab.models.gan.SemiSupervisedGAN` (Salimans et al. 2016) on
  all training rows (the ``--gan-*`` settings).

``--models`` picks among them (default: all).

Each cell: test error, mean over splits, with a 95 % t interval of the mean;
``--csv`` writes one row per fit.

    python benchmarks/repro_semi_supervised.py [--labels 20 50 100] [--splits 0 1 2 3 4] \
        [--models logreg label-spreading m2-vae vae-pretrain-finetune mlp ss-gan]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.semi_supervised import LabelSpreading

from gdlab.models.gan import SemiSupervisedGAN
from gdlab.models.networks import MLPClassifier
from gdlab.models.vae import M2VAE
from gdlab.models.vae_pretrain import VAEPretrainClassifier

MODELS = ("m2-vae", "vae-pretrain-finetune", "mlp", "ss-gan", "label-spreading", "logreg")


def split(X, y, seed: int, n_labels: int):
    """(X_train, y_train with -1 for unlabelled rows, X_test, y_test) of one split."""
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=450, stratify=y, random_state=seed)
    classes = np.unique(y)
    if n_labels % len(classes):
        raise ValueError(f"--labels must be multiples of {len(classes)}, got {n_labels}.")
    rng = np.random.default_rng(seed)
    lab = np.concatenate([rng.choice(np.flatnonzero(ytr == k), n_labels // len(classes),
                                     replace=False) for k in classes])
    partial = np.full(len(ytr), -1)
    partial[lab] = ytr[lab]
    return Xtr, partial, Xte, yte


def m2_settings(args) -> dict:
    return dict(latent_dim=args.latent, hidden=tuple(args.hidden),
                classifier_hidden=tuple(args.classifier_hidden or args.hidden),
                likelihood=args.likelihood, alpha=args.alpha, dropout=args.dropout,
                max_epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                validation_fraction=0.0, device=args.device)


def pretrain_settings(args) -> dict:
    return dict(latent_dim=args.latent, hidden=tuple(args.hidden), likelihood=args.likelihood,
                pretrain_epochs=args.pretrain_epochs, max_epochs=args.finetune_epochs,
                freeze_epochs=args.freeze_epochs, features=args.features, dropout=args.dropout,
                batch_size=args.batch_size, lr=args.lr, validation_fraction=0.0,
                device=args.device)


def mlp_settings(args) -> dict:
    return dict(hidden_sizes=tuple(args.hidden), dropout=args.dropout,
                max_epochs=args.finetune_epochs, batch_size=args.batch_size, lr=args.lr,
                validation_fraction=0.0, device=args.device)


def gan_settings(args) -> dict:
    return dict(latent_dim=args.gan_latent, hidden=tuple(args.gan_hidden),
                generator_hidden=tuple(args.gan_generator_hidden), dropout=args.gan_dropout,
                input_noise=args.gan_input_noise, hidden_noise=args.gan_hidden_noise,
                unlabelled_weight=args.gan_unlabelled_weight, max_epochs=args.gan_epochs,
                batch_size=args.batch_size, lr=args.gan_lr, device=args.device)


def fit_models(args, Xtr, ytr, Xte, yte, seed):
    """Test error and seconds of every model of ``args.models`` on one split."""
    lab = ytr != -1
    fits = {
        "logreg": lambda: LogisticRegression(max_iter=5000).fit(Xtr[lab], ytr[lab]),
        "label-spreading": lambda: LabelSpreading(kernel="knn").fit(Xtr, ytr),
        "m2-vae": lambda: M2VAE(**m2_settings(args), random_state=seed).fit(Xtr, ytr),
        "vae-pretrain-finetune": lambda: VAEPretrainClassifier(
            **pretrain_settings(args), random_state=seed).fit(Xtr, ytr),
        "mlp": lambda: MLPClassifier(**mlp_settings(args), random_state=seed).fit(
            Xtr[lab], ytr[lab]),
        "ss-gan": lambda: SemiSupervisedGAN(**gan_settings(args), random_state=seed).fit(
            Xtr, ytr),
    }
    out = []
    for name in args.models:
        t0 = time.perf_counter()
        with warnings.catch_warnings():  # kNN rows without labelled neighbours divide 0 by 0
            warnings.simplefilter("ignore", RuntimeWarning)
            model = fits[name]()
        out.append((name, 1.0 - model.score(Xte, yte), time.perf_counter() - t0))
    return out


def interval(values) -> tuple[float, float, float]:
    """Mean and 95 % t interval of the mean, clipped to [0, 1]."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, mean, mean
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return mean, max(0.0, mean - half), min(1.0, mean + half)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=int, nargs="+", default=[20, 50, 100])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--splits", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--latent", type=int, default=16)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    parser.add_argument("--classifier-hidden", type=int, nargs="+", default=None)
    parser.add_argument("--likelihood", choices=["bernoulli", "gaussian"], default="bernoulli")
    parser.add_argument("--alpha", type=float, default=10.0,
                        help="classification weight per training row (M2VAE's alpha; the "
                             "paper's is 0.1)")
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--pretrain-epochs", type=int, default=100,
                        help="VAE epochs of vae-pretrain-finetune")
    parser.add_argument("--finetune-epochs", type=int, default=100,
                        help="epochs of vae-pretrain-finetune's fine-tuning and of mlp")
    parser.add_argument("--freeze-epochs", type=int, default=0,
                        help="fine-tuning epochs with the pretrained encoder fixed")
    parser.add_argument("--features", choices=["hidden", "latent"], default="hidden",
                        help="what vae-pretrain-finetune's head reads")
    parser.add_argument("--gan-latent", type=int, default=32)
    parser.add_argument("--gan-hidden", type=int, nargs="+", default=[256, 128, 128],
                        help="hidden layers of the SS-GAN's discriminator")
    parser.add_argument("--gan-generator-hidden", type=int, nargs="+", default=[256, 256])
    parser.add_argument("--gan-dropout", type=float, default=0.3)
    parser.add_argument("--gan-input-noise", type=float, default=0.3)
    parser.add_argument("--gan-hidden-noise", type=float, default=0.5)
    parser.add_argument("--gan-epochs", type=int, default=50)
    parser.add_argument("--gan-lr", type=float, default=1e-3)
    parser.add_argument("--gan-unlabelled-weight", type=float, default=1.0,
                        help="weight of the SS-GAN's real-vs-generated term; 0: the same "
                             "discriminator and steps on the labelled rows alone")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--csv", default=None, help="write one row per fit here")
    parser.add_argument("--from-csv", nargs="+", default=None, metavar="CSV",
                        help="no fitting: print the table of rows written by --csv (runs of "
                             "different splits, e.g. in parallel processes, together)")
    parser.add_argument("--quick", action="store_true",
                        help="a tiny run that only checks the script")
    args = parser.parse_args(argv)
    if args.quick:
        args.labels, args.splits, args.epochs, args.hidden = [20], [0], 2, [16]
        args.pretrain_epochs, args.finetune_epochs = 2, 2
        args.gan_epochs, args.gan_hidden, args.gan_generator_hidden = 2, [16], [16]

    if args.from_csv:
        df = pd.concat([pd.read_csv(f) for f in args.from_csv], ignore_index=True)
        print_table(df, float(df.seconds.sum()))
        return df
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    print(f"models: {args.models}", flush=True)
    if "m2-vae" in args.models:
        print(f"M2 settings: {m2_settings(args)}", flush=True)
    if "vae-pretrain-finetune" in args.models:
        print(f"vae-pretrain-finetune settings: {pretrain_settings(args)}", flush=True)
    if "mlp" in args.models:
        print(f"mlp settings: {mlp_settings(args)}", flush=True)
    if "ss-gan" in args.models:
        print(f"ss-gan settings: {gan_settings(args)}", flush=True)
    t_all = time.perf_counter()
    rows = []
    for seed in args.splits:
        for n in args.labels:
            for model, err, sec in fit_models(args, *split(X, y, seed, n), seed):
                rows.append(dict(model=model, labels=n, split=seed, error=err, seconds=sec))
                print(f"  split {seed} labels {n:4d} {model:21s} error {err:.3f} ({sec:.1f} s)",
                      flush=True)
    df = pd.DataFrame(rows)
    if args.csv:
        df.to_csv(args.csv, index=False)
    print_table(df, time.perf_counter() - t_all)
    return df


def print_table(df: pd.DataFrame, total: float) -> None:
    """The markdown table of test errors: one row per number of labels, one column per model."""
    models = [m for m in MODELS if m in set(df.model)]
    splits = sorted(int(s) for s in df.split.unique())
    print(f"\ntest error on digits (1,347 train / 450 test), mean [95 % t interval] over "
          f"{len(splits)} splits {splits}; {total:.0f} s of fitting\n")
    print("| labels (per class) | " + " | ".join(models) + " |")
    print("|---" + "|---:" * len(models) + "|")
    for n in sorted(df.labels.unique()):
        cells = []
        for m in models:
            mean, lo, hi = interval(df[(df.labels == n) & (df.model == m)].error)
            cells.append(f"{mean:.3f} [{lo:.3f}, {hi:.3f}]")
        print(f"| {n} ({n // 10}) | " + " | ".join(cells) + " |")
    print("\nseconds per fit (mean over splits and labels): " + ", ".join(
        f"{m} {df[df.model == m].seconds.mean():.1f}" for m in models))


if __name__ == "__main__":
    main()
