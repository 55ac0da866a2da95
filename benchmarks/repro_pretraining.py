"""Generative pretraining, then discriminative fine-tuning, as labeled data shrinks.

Language identification on Debian's fortunes (``fortunes-lang``: de, en, es,
it, pt), or with ``--dataset trump_tweets`` the device a tweet was sent from
(Android or iPhone). A fixed, stratified test set is held out first. A small
:class:`gdlab.models.CharGPT` is pretrained on unlabeled texts from the rest
(labels thrown away; the test texts are never seen). Then, for each labeled
size n (texts per class) and seed, the same stratified subset trains two
:class:`gdlab.models.gpt.GPTClassifier` s with identical architecture and
training settings: one whose body starts from the pretrained language model
(its tokenizer included) and one from scratch (random weights, characters of
the labeled subset). The table is the test accuracy, mean ± standard
deviation over seeds; ``--csv`` writes one row per fit.

    python benchmarks/repro_pretraining.py [--quick]
        [--dataset {fortunes-lang,trump_tweets}] [--sizes 10 25 50 100] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from gdlab.data import load
from gdlab.models.gpt import CharGPT, GPTClassifier

#: The labelled text sets these scripts run on (registry names): language
#: identification on Debian's fortunes, and the device (Android or iPhone) a
#: tweet of trump_tweets was sent from.
DATASETS = ("fortunes-lang", "trump_tweets")


def load_texts(name):
    """Texts, labels and class names of one of :data:`DATASETS`.

    Parameters
    ----------
    name : str
        ``"fortunes-lang"`` or ``"trump_tweets"``.

    Returns
    -------
    texts : ndarray of object of shape (n_samples,)
    y : ndarray of int of shape (n_samples,)
    class_names : list of str
    """
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {list(DATASETS)}, got {name!r}.")
    ds = load(name)
    return np.asarray(ds.X["text"], dtype=object), np.asarray(ds.y), list(ds.class_names)


def stratified(y, per_class, rng, pool):
    """Indices of ``per_class`` items of every class, drawn from ``pool``."""
    out = []
    for k in np.unique(y):
        members = pool[y[pool] == k]
        if len(members) < per_class:
            raise ValueError(f"class {k} has only {len(members)} texts, {per_class} needed.")
        out.append(rng.choice(members, size=per_class, replace=False))
    return np.concatenate(out)


def parse_args(description, argv=None, *, seeds, pretrain_epochs):
    """The command line of the pretraining reproductions (this script and
    ``repro_encoder_pretraining.py``), ``--quick`` applied.

    Parameters
    ----------
    description : str
    argv : list of str, optional
    seeds : list of int
        Default of ``--seeds``.
    pretrain_epochs : int
        Default of ``--pretrain-epochs``.

    Returns
    -------
    argparse.Namespace
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dataset", choices=DATASETS, default="fortunes-lang")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 25, 50, 100])
    parser.add_argument("--seeds", type=int, nargs="+", default=seeds)
    parser.add_argument("--test-per-class", type=int, default=200)
    parser.add_argument("--pretrain-texts", type=int, default=4000)
    parser.add_argument("--pretrain-epochs", type=int, default=pretrain_epochs)
    parser.add_argument("--finetune-epochs", type=int, default=10)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--n-layer", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--csv", default=None, help="write one row per fit here")
    parser.add_argument("--quick", action="store_true",
                        help="a tiny run that only checks the script")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.seeds, args.test_per_class = [5, 10], [0], 20
        args.pretrain_texts, args.pretrain_epochs, args.finetune_epochs = 300, 1, 3
        args.context, args.d_model = 32, 32
    return args


def split(y, args):
    """The fixed split of every pretraining reproduction (seed 12345).

    Returns
    -------
    test : ndarray of int
        ``args.test_per_class`` held-out texts of every class.
    pool : ndarray of int
        The other texts: where the labelled subsets are drawn from.
    unlabelled : ndarray of int
        Up to ``args.pretrain_texts`` texts of ``pool`` to pretrain on (labels unused).
    """
    rng = np.random.default_rng(12345)
    test = stratified(y, args.test_per_class, rng, np.arange(len(y)))
    pool = np.setdiff1d(np.arange(len(y)), test)
    unlabelled = rng.choice(pool, size=min(args.pretrain_texts, len(pool)), replace=False)
    return test, pool, unlabelled


def network_shape(args) -> dict:
    """The transformer settings the pretrained model and both classifiers share."""
    return dict(context_length=args.context, n_layer=args.n_layer, n_head=4,
                d_model=args.d_model, dropout=0.1, device=args.device)


def fit_and_test(name, model, train, test, *, per_class, seed, width):
    """Fit ``model`` on ``train`` = (texts, y); print and return its row (test accuracy, time)."""
    t1 = time.perf_counter()
    model.fit(*train)
    acc = float(np.mean(model.predict(test[0]) == test[1]))
    row = dict(model=name, per_class=per_class, seed=seed, accuracy=acc,
               seconds=time.perf_counter() - t1)
    print(f"  seed {seed} n/class {per_class:4d} {name:{width}s} accuracy {acc:.3f} "
          f"({row['seconds']:.1f} s)", flush=True)
    return row


def main(argv=None):
    args = parse_args(__doc__.split("\n")[0], argv, seeds=[0, 1, 2], pretrain_epochs=2)
    texts, y, names = load_texts(args.dataset)
    test, pool, unlabeled = split(y, args)
    shape = network_shape(args)

    t0 = time.perf_counter()
    lm = CharGPT(**shape, max_epochs=args.pretrain_epochs, batch_size=64, lr=2e-3,
                 validation_fraction=0.05, patience=2, random_state=0)
    lm.fit(list(texts[unlabeled]))
    pre_s = time.perf_counter() - t0
    bpc = lm.bits_per_char(list(texts[test]))
    print(f"pretrained CharGPT on {len(unlabeled)} unlabeled texts in {pre_s:.1f} s "
          f"({lm.n_epochs_} epochs, device {lm.device_}): test bits/char {bpc:.3f}")
    print(f"classes {names}; test set {len(test)} texts; sizes {args.sizes}; seeds {args.seeds}")

    rows = []
    for seed in args.seeds:
        for n in args.sizes:
            idx = stratified(y, n, np.random.default_rng(seed), pool)
            for name, pretrained in (("pretrained", lm), ("scratch", None)):
                clf = GPTClassifier(pretrained=pretrained, **shape,
                                    max_epochs=args.finetune_epochs, batch_size=32, lr=1e-3,
                                    validation_fraction=0.0, random_state=seed)
                rows.append(fit_and_test(name, clf, (list(texts[idx]), y[idx]),
                                         (list(texts[test]), y[test]), per_class=n, seed=seed,
                                         width=10))
    df = pd.DataFrame(rows)
    if args.csv:
        df.to_csv(args.csv, index=False)
    stats = df.groupby(["per_class", "model"])["accuracy"].agg(["mean", "std"])
    print(f"\ntest accuracy ({len(names)} classes, chance {1 / len(names):.2f}), mean ± std over "
          f"{len(args.seeds)} seeds; total {time.perf_counter() - t0:.0f} s\n")
    print("| labeled per class | pretrained | scratch | gain |")
    print("|---:|---:|---:|---:|")
    for n in sorted(df["per_class"].unique()):
        cell = {m: stats.loc[(n, m)] for m in ("pretrained", "scratch")}
        shown = {m: f"{c['mean']:.3f} ± {np.nan_to_num(c['std']):.3f}" for m, c in cell.items()}
        gain = cell["pretrained"]["mean"] - cell["scratch"]["mean"]
        print(f"| {n} | {shown['pretrained']} | {shown['scratch']} | {gain:+.3f} |")
    return df


if __name__ == "__main__":
    main()
