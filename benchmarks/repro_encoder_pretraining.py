"""Masked-LM pretraining of a small BERT-style encoder vs scratch vs n-gram and NB-SVM baselines.

The encoder counterpart of ``repro_pretraining.py`` (same data, same loader,
split and subset code): language identification on Debian's fortunes
(``fortunes-lang``: de, en, es, it, pt), or with ``--dataset trump_tweets``
the device a tweet was sent from (Android or iPhone, retweets removed). A
fixed, stratified test set is held out first. A
:class:`gdlab.models.encoder.MaskedLMEncoder` is pretrained on unlabelled
texts from the rest (labels thrown away; the test texts are never seen).
Then, for each labelled size n (texts per class) and seed, the same
stratified subset trains:

- ``encoder-mlm``: a :class:`gdlab.models.encoder.BERTClassifier` whose body
  starts from the masked language model (its tokenizer included);
- ``encoder-scratch``: the same network and training settings from random
  weights (characters of the labelled subset);
- the registry's text baselines: ``nbsvm`` (Wang & Manning 2012, word
  uni+bigrams), ``ngram-logreg`` (word uni+bigrams), ``char-ngram-logreg``
  (character 1-4-grams) and ``char-ngram-classifier`` (one order-5
  Kneser-Ney character LM per class, Bayes' rule).

The table is the test accuracy, mean and a 95% t-interval over seeds (the
same subsets for every model), and the paired gain of pretraining with its
interval; ``--csv`` writes one row per fit.

    python benchmarks/repro_encoder_pretraining.py [--quick]
        [--dataset {fortunes-lang,trump_tweets}] [--sizes 10 25 50 100]
        [--seeds 0 1 2 3 4] [--pretrain-epochs 10] [--csv rows.csv]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from gdlab.models.encoder import BERTClassifier, MaskedLMEncoder
from gdlab.models.registry import make

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling, however this is run
from repro_pretraining import (  # noqa: E402
    fit_and_test,
    load_texts,
    network_shape,
    parse_args,
    split,
    stratified,
)

BASELINES = ("nbsvm", "ngram-logreg", "char-ngram-logreg", "char-ngram-classifier")


def interval(values) -> tuple[float, float]:
    """Mean and the half-width of its 95% t-interval (0 with one value)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float(values.mean()), 0.0
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(half)


def main(argv=None):
    args = parse_args(__doc__.split("\n")[0], argv, seeds=[0, 1, 2, 3, 4], pretrain_epochs=10)
    texts, y, names = load_texts(args.dataset)
    test, pool, unlabelled = split(y, args)  # the split of repro_pretraining.py
    shape = network_shape(args)

    t0 = time.perf_counter()
    mlm = MaskedLMEncoder(**shape, max_epochs=args.pretrain_epochs, batch_size=64, lr=2e-3,
                          validation_fraction=0.05, patience=2, random_state=0)
    mlm.fit(list(texts[unlabelled]))
    pre_s = time.perf_counter() - t0
    test_loss = mlm.mlm_loss(list(texts[test]))
    print(f"pretrained MaskedLMEncoder on {len(unlabelled)} unlabelled texts in {pre_s:.1f} s "
          f"({mlm.n_epochs_} epochs, device {mlm.device_}): test masked-token loss "
          f"{test_loss:.3f} nats (uniform over the {mlm.vocab_size_ - 4} characters: "
          f"{np.log(mlm.vocab_size_ - 4):.3f}); per-epoch train loss "
          f"{[round(h['train_loss'], 3) for h in mlm.history_]}")
    print(f"{args.dataset}: classes {names}; test set {len(test)} texts; sizes {args.sizes}; "
          f"seeds {args.seeds}")

    rows = []
    for seed in args.seeds:
        for n in args.sizes:
            idx = stratified(y, n, np.random.default_rng(seed), pool)
            X_train, y_train = list(texts[idx]), y[idx]
            models = {
                "encoder-mlm": BERTClassifier(
                    pretrained=mlm, **shape, max_epochs=args.finetune_epochs, batch_size=32,
                    lr=1e-3, validation_fraction=0.0, random_state=seed),
                "encoder-scratch": BERTClassifier(
                    **shape, max_epochs=args.finetune_epochs, batch_size=32, lr=1e-3,
                    validation_fraction=0.0, random_state=seed),
                **{b: make(b) for b in BASELINES},
            }
            for name, model in models.items():
                rows.append(fit_and_test(name, model, (X_train, y_train),
                                         (list(texts[test]), y[test]), per_class=n, seed=seed,
                                         width=22))
    df = pd.DataFrame(rows)
    if args.csv:
        df.to_csv(args.csv, index=False)
    order = ["encoder-mlm", "encoder-scratch", *BASELINES]
    print(f"\ntest accuracy ({len(names)} classes, chance {1 / len(names):.2f}), mean ± 95% "
          f"t-interval over {len(args.seeds)} seeds; total {time.perf_counter() - t0:.0f} s\n")
    print("| labelled per class | " + " | ".join(order) + " | MLM gain (paired) |")
    print("|---:|" + "---:|" * (len(order) + 1))
    for n in sorted(df["per_class"].unique()):
        at = df[df["per_class"] == n].pivot(index="seed", columns="model", values="accuracy")
        cells = [interval(at[m]) for m in order]
        gain = interval(at["encoder-mlm"] - at["encoder-scratch"])
        print(f"| {n} | " + " | ".join(f"{m:.3f} ± {h:.3f}" for m, h in cells)
              + f" | {gain[0]:+.3f} ± {gain[1]:.3f} |")
    return df


if __name__ == "__main__":
    main()
