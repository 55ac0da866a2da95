"""What a CharGPT reaches on the CPU in about ten minutes, against the character 5-gram.

The issue's GPU measurement: 14,695 English fortunes train the model, 500
held-out fortunes score it in bits per character (each character and each end
of text predicted); the character 5-gram (Kneser-Ney) scored 2.303 there. This
script makes the same split (Debian's English fortunes, a seeded permutation,
the last 500 held out), fits the 5-gram and one CharGPT on the CPU, and prints
both scores, the GPT's training time and throughput, and a few samples from
each. Choose ``--epochs`` so that the fit takes the time you want to measure
(the script prints the seconds per epoch).

    OMP_NUM_THREADS=2 python benchmarks/gpt_cpu.py [--epochs 2] [--n-layer 2] [--d-model 128]
        [--context 128] [--batch-size 64] [--lr 2e-3] [--schedule cosine] [--warmup 0.02]
        [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from gdlab.data.text import fortunes_en
from gdlab.models.gpt import CharGPT
from gdlab.models.ngram import CharNGramLM


def split(n_held=500, seed=0, n_train=None):
    """English fortunes: (train, held) by a seeded permutation, the last ``n_held`` held out."""
    texts = list(fortunes_en().X["text"])
    idx = np.random.default_rng(seed).permutation(len(texts))
    train = [texts[i] for i in idx[:-n_held]]
    held = [texts[i] for i in idx[-n_held:]]
    return (train if n_train is None else train[:n_train]), held


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--n-layer", type=int, default=2)
    parser.add_argument("--n-head", type=int, default=4)
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--schedule", choices=("constant", "cosine"), default="cosine")
    parser.add_argument("--warmup", type=float, default=0.02)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--quick", action="store_true",
                        help="300 training fortunes, 1 epoch, a tiny model: checks the script")
    args = parser.parse_args()
    train, held = split(n_train=300 if args.quick else None)
    if args.quick:
        args.epochs, args.n_layer, args.d_model, args.context = 1, 1, 32, 32
    n_chars = sum(len(t) + 1 for t in train)
    print(f"corpus: {len(train):,} English fortunes to train ({n_chars:,} characters with the "
          f"ends), {len(held)} held out; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")

    t = time.perf_counter()
    ngram = CharNGramLM(order=5).fit(train)
    print(f"character 5-gram (Kneser-Ney): {ngram.bits_per_char(held):.3f} bits/char held out "
          f"(fit {time.perf_counter() - t:.1f} s)")

    lm = CharGPT(context_length=args.context, n_layer=args.n_layer, n_head=args.n_head,
                 d_model=args.d_model, dropout=args.dropout, max_epochs=args.epochs,
                 batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
                 validation_fraction=0.0, patience=None, device="cpu", random_state=0,
                 lr_schedule=args.schedule, warmup=args.warmup)
    t = time.perf_counter()
    lm.fit(train)
    seconds = time.perf_counter() - t
    n_params = sum(p.numel() for p in lm.module_.parameters())
    print(f"CharGPT {args.n_layer} layers x {args.d_model}, {args.n_head} heads, context "
          f"{args.context}, batch {args.batch_size}, dropout {args.dropout}, lr {args.lr} "
          f"{args.schedule} (warm-up {args.warmup}), {args.epochs} epochs, "
          f"{n_params:,} parameters")
    print(f"  fit {seconds:.0f} s ({seconds / args.epochs:.0f} s per epoch), "
          f"train loss {lm.history_[-1]['train_loss']:.3f} nats")
    print(f"  {lm.bits_per_char(held):.3f} bits/char held out")
    for name, model in (("5-gram", ngram), ("CharGPT", lm)):
        print(f"samples, {name}:")
        for text in model.sample(3, random_state=1, max_length=160):
            print("   ", repr(text))


if __name__ == "__main__":
    main()
