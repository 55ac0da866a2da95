"""Overhead of gdlab's one training loop: a VAE epoch through ``VAE.fit`` vs a plain torch loop.

Both sides train the *same* network class (:class:`gdlab.nn.vae.VAENet`, a
784-400-20 MLP encoder and 20-400-784 decoder with a Bernoulli or Gaussian
observation model) for one epoch over the same random rows: batch 128, Adam
with lr 1e-3, no validation split, rows shuffled by a CPU ``randperm`` and
gathered from tensors that already sit on the device. The plain loop is the
classic PyTorch VAE example loop (one ``loss.item()`` per batch for logging).

Two ratios are printed:

``fit``
    ``VAE(...).fit(X)`` wall time (input validation, standardization, module
    build, Lightning Fabric setup, moving the rows to the device, the epoch)
    over the plain loop's build + move + epoch.
``epoch``
    The epoch alone: the Trainer's ``history_[0]["seconds"]`` over the plain
    loop's epoch.

Run ``python benchmarks/bench_trainer.py`` (60,000 rows, 3 repeats) or
``--quick`` (6,000 rows, 1 repeat); ``--profile`` adds a cProfile of one
gdlab fit.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time

import numpy as np
import torch

from gdlab.models.vae import VAE
from gdlab.nn import resolve_device
from gdlab.nn.vae import VAENet

N_FEATURES, HIDDEN, LATENT, BATCH, LR = 784, 400, 20, 128, 1e-3


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def gdlab_epoch(X: np.ndarray, likelihood: str, seed: int, device: str) -> tuple[float, float]:
    """(fit seconds, epoch seconds) of one gdlab VAE epoch."""
    vae = VAE(latent_dim=LATENT, hidden=(HIDDEN,), likelihood=likelihood, max_epochs=1,
              batch_size=BATCH, lr=LR, validation_fraction=0.0, device=device,
              random_state=seed)
    _sync(resolve_device(device))
    t0 = time.perf_counter()
    vae.fit(X)
    _sync(resolve_device(device))
    return time.perf_counter() - t0, vae.history_[0]["seconds"]


def plain_epoch(X: np.ndarray, likelihood: str, seed: int, device: str) -> tuple[float, float]:
    """(build+move+epoch seconds, epoch seconds) of the same network in a plain torch loop."""
    dev = resolve_device(device)
    _sync(dev)
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    module = VAENet(N_FEATURES, LATENT, (HIDDEN,), "mlp", None, 32, 0, likelihood).to(dev)
    opt = torch.optim.Adam(module.parameters(), lr=LR)
    x = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)).to(dev)
    generator = torch.Generator().manual_seed(seed)
    module.train()
    _sync(dev)
    t1 = time.perf_counter()
    perm = torch.randperm(len(x), generator=generator)
    total = 0.0
    for i in range(0, len(x), BATCH):
        idx = perm[i:i + BATCH].to(dev)
        rec, kl = module(x[idx])
        loss = (kl - rec).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    _sync(dev)
    t2 = time.perf_counter()
    if not np.isfinite(total):
        raise FloatingPointError("plain loop diverged")
    return t2 - t0, t2 - t1


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--quick", action="store_true", help="6,000 rows, 1 repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--likelihood", choices=["bernoulli", "gaussian"], default="bernoulli")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--profile", action="store_true", help="cProfile one gdlab fit")
    args = parser.parse_args(argv)
    rows, repeats = (6_000, 1) if args.quick else (args.rows, args.repeats)
    device = resolve_device(args.device)
    X = np.random.default_rng(0).random((rows, N_FEATURES), dtype=np.float32)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device: {device} ({name}, torch {torch.__version__}, {torch.get_num_threads()} "
          f"threads); rows {rows}, "
          f"batch {BATCH}, {args.likelihood} 784-{HIDDEN}-{LATENT} VAE, repeats {repeats}")

    # warm-up: imports, CUDA context, kernels, allocator (not timed)
    gdlab_epoch(X[:1024], args.likelihood, 0, args.device)
    plain_epoch(X[:1024], args.likelihood, 0, args.device)

    g_fit, g_epoch, p_fit, p_epoch = [], [], [], []
    for r in range(repeats):  # alternate the two so load drifts hit both
        a, b = gdlab_epoch(X, args.likelihood, r, args.device)
        c, d = plain_epoch(X, args.likelihood, r, args.device)
        g_fit.append(a)
        g_epoch.append(b)
        p_fit.append(c)
        p_epoch.append(d)
        print(f"repeat {r}: gdlab fit {a:.3f} s (epoch {b:.3f} s) | plain {c:.3f} s "
              f"(epoch {d:.3f} s)")
    med = {k: statistics.median(v) for k, v in
           {"gdlab_fit": g_fit, "gdlab_epoch": g_epoch, "plain_fit": p_fit,
            "plain_epoch": p_epoch}.items()}
    med["ratio_fit"] = med["gdlab_fit"] / med["plain_fit"]
    med["ratio_epoch"] = med["gdlab_epoch"] / med["plain_epoch"]
    print(f"median: gdlab fit {med['gdlab_fit']:.3f} s, plain {med['plain_fit']:.3f} s, "
          f"ratio {med['ratio_fit']:.3f} | epoch only: gdlab {med['gdlab_epoch']:.3f} s, "
          f"plain {med['plain_epoch']:.3f} s, ratio {med['ratio_epoch']:.3f} (goal <= 1.1)")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        gdlab_epoch(X, args.likelihood, 0, args.device)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(20)
        print(out.getvalue())
    return med


if __name__ == "__main__":
    main()
