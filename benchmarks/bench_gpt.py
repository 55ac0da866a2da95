"""GPT training throughput: gdlab's Trainer against a plain torch loop, same process.

Both train the same :class:`gdlab.models.gpt.GPT` (same config, same seeded
initial weights) on the same context windows of the same corpus (Debian
fortunes, all languages, or, where the Debian packages are not installed (a
GPU machine, say) or with ``--corpus pydoc``, the paragraphs of Python's own
bundled help topics, :mod:`pydoc_data.topics`; character tokenizer,
``<bos> text <eos>`` per text,
sliding windows of ``context_length + 1``), with the same optimizer (Adam, same
lr), the same batch size, one shuffled pass per epoch and validation off. The
gdlab side is :meth:`CharGPT._train`, i.e. the estimator's real path through
:class:`gdlab.nn.Trainer` (Lightning Fabric setup included); the plain side is
the textbook loop (data moved to the device once, index batches,
``zero_grad / backward / step``, the loss summed on the device and read once
per epoch). Throughput is scored target tokens per second over the whole
training call; each side runs ``--repeats`` times alternately and the median
is reported, with the ratio plain / gdlab (> 1 means gdlab is slower).

    python benchmarks/bench_gpt.py [--quick] [--texts 4000] [--epochs 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import numpy as np
import torch

from gdlab.data.registry import DatasetUnavailable
from gdlab.data.text import fortunes_lang
from gdlab.models.gpt import GPT, CharGPT, GPTConfig, _lm_loss, _windows_of
from gdlab.nn import resolve_device, seeded


def pydoc_paragraphs():
    """English paragraphs (40..1,000 characters) of Python's bundled help topics."""
    from pydoc_data.topics import topics

    texts = []
    for name in sorted(topics):
        for para in re.split(r"\n\s*\n", topics[name]):
            para = " ".join(para.split())
            if 40 <= len(para) <= 1000:
                texts.append(para)
    return texts


def corpus(n_texts, seed=0, source="auto"):
    """``n_texts`` texts drawn without replacement; ``source`` fortunes, pydoc or auto.

    Returns the texts and the name of the corpus they came from.
    """
    if source == "pydoc":
        texts = pydoc_paragraphs()
    else:
        try:
            texts, source = list(fortunes_lang().X["text"]), "fortunes"
        except DatasetUnavailable:
            if source == "fortunes":
                raise
            texts, source = pydoc_paragraphs(), "pydoc"
    rng = np.random.default_rng(seed)
    return [texts[i] for i in rng.choice(len(texts), size=min(n_texts, len(texts)),
                                         replace=False)], source


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_gdlab(est, data):
    device = resolve_device(est.device)
    sync(device)
    t0 = time.perf_counter()
    est._train(data, _lm_loss)
    sync(device)
    return time.perf_counter() - t0


def run_plain(est, data):
    """The same training in a plain loop (what a user would write by hand)."""
    device = resolve_device(est.device)
    sync(device)
    t0 = time.perf_counter()
    with seeded(est.random_state, device):
        module = GPT(GPTConfig(**est.config_)).to(device)
    opt = torch.optim.Adam(module.parameters(), lr=est.lr)
    x, y = (t.to(device) for t in data)
    gen = torch.Generator().manual_seed(est.random_state)
    n = len(x)
    module.train()
    for _ in range(est.max_epochs):
        order = torch.randperm(n, generator=gen).to(device)
        total = torch.zeros((), device=device)
        for i in range(0, n, est.batch_size):
            idx = order[i:i + est.batch_size]
            _, loss = module(x[idx], y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
        float(total)  # one read per epoch, as a loop that logs the epoch loss does
    module.eval()
    sync(device)
    return time.perf_counter() - t0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--n-layer", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--corpus", choices=("auto", "fortunes", "pydoc"), default="auto",
                        help="auto: Debian fortunes when installed, else Python's help topics")
    parser.add_argument("--quick", action="store_true",
                        help="tiny run that only checks the script (300 texts, 1 epoch, d=64)")
    args = parser.parse_args(argv)
    if args.quick:
        args.texts, args.epochs, args.repeats, args.d_model, args.context = 300, 1, 2, 64, 64

    texts, source = corpus(args.texts, source=args.corpus)
    est = CharGPT(context_length=args.context, d_model=args.d_model, n_layer=args.n_layer,
                  n_head=4, dropout=0.1, max_epochs=args.epochs, batch_size=args.batch_size,
                  lr=1e-3, validation_fraction=0.0, patience=None, device=args.device,
                  random_state=0)
    est._check_net_params()
    est._fit_tokenizer(texts)
    est._set_config()
    x, y, _ = _windows_of(est._encode(texts), args.context)
    data = (torch.from_numpy(x), torch.from_numpy(y))
    n_tokens = int((y != -100).sum()) * args.epochs
    device = resolve_device(args.device)
    print(f"device={device} corpus={source} texts={len(texts)} windows={len(x)} "
          f"scored tokens/epoch={n_tokens // args.epochs} epochs={args.epochs} "
          f"d_model={args.d_model} n_layer={args.n_layer} context={args.context} "
          f"batch={args.batch_size} threads={torch.get_num_threads()}")

    run_plain(est, data)  # warm-up (kernels, allocator, Fabric import) for both sides
    run_gdlab(est, data)
    times = {"gdlab": [], "plain": []}
    for _ in range(args.repeats):
        times["plain"].append(run_plain(est, data))
        times["gdlab"].append(run_gdlab(est, data))
    med = {k: statistics.median(v) for k, v in times.items()}
    for k in ("plain", "gdlab"):
        print(f"{k:6s} median {med[k]:.3f} s  ({n_tokens / med[k]:,.0f} tokens/s)  "
              f"runs {[round(t, 3) for t in times[k]]}")
    ratio = med["gdlab"] / med["plain"]
    print(f"ratio gdlab/plain time = {ratio:.3f} (target <= 1.1): "
          f"{'OK' if ratio <= 1.1 else 'ABOVE TARGET'}")
    return ratio


if __name__ == "__main__":
    main()
