"""Batched HMM forward-backward: gdlab's torch path (GPU when there is one) against its numpy path.

Many sequences (default 20,000 x 200 steps, 6 states) whose log-emissions are
given, in the padded layout of :class:`gdlab.inference.hmm.Frames`. One E-step
(forward, backward, posteriors, transition counts) by
:func:`gdlab.inference.hmm.e_step` (numpy, CPU) and by
:func:`gdlab.inference.hmm_torch.e_step_torch` on ``--device`` (default: cuda
when available, else cpu), float64 both. The torch time has the log-emissions
already on the device and ends with a device synchronization; the largest
differences between the two paths are printed with the ratio of the times
(median of ``--repeats``). ``--threads`` (default ``OMP_NUM_THREADS``, else 1) CPU
threads for numpy's BLAS and for torch.

    python benchmarks/bench_hmm_torch.py [--sequences 20000] [--length 200] [--device cuda]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from gdlab.inference import hmm as lattice
from gdlab.inference.hmm_torch import e_step_torch

S = 6


def problem(n_sequences, length, seed=0):
    """Frames of equal-length sequences and log-emissions of a sticky 6-state chain."""
    rng = np.random.default_rng(seed)
    frames = lattice.Frames([np.zeros((length, 1))] * n_sequences)
    startprob = rng.dirichlet(np.ones(S))
    transmat = 0.8 * np.eye(S) + 0.2 * rng.dirichlet(np.ones(S), size=S)
    log_emit = rng.normal(0.0, 3.0, (frames.T, S, frames.N))
    return frames, startprob, transmat, log_emit


def median_time(run, repeats, sync=lambda: None):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=20_000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads of numpy's BLAS and of torch (default: "
                             "OMP_NUM_THREADS, else 1)")
    args = parser.parse_args(argv)
    threads = args.threads or int(os.environ.get("OMP_NUM_THREADS") or 1)
    torch.set_num_threads(threads)
    frames, startprob, transmat, log_emit = problem(args.sequences, args.length)
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"{args.sequences} sequences x {args.length} steps, {S} states, float64; torch on "
          f"{device} ({name}); {threads} CPU thread(s); median of {args.repeats}; load "
          f"{os.getloadavg()[0]:.1f}")
    with threadpool_limits(threads):
        work = log_emit.copy()

        def numpy_step():
            work[...] = log_emit
            return lattice.e_step(startprob, transmat, work, frames)

        t_numpy = median_time(numpy_step, args.repeats)
        ll, gamma, xi, _ = numpy_step()
    le_device = torch.as_tensor(log_emit, device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    e_step_torch(startprob, transmat, le_device, frames)  # warm-up (kernels, allocator)
    sync()
    t_torch = median_time(lambda: e_step_torch(startprob, transmat, le_device, frames),
                          args.repeats, sync)
    t_ll, t_gamma, t_xi = (v.cpu().numpy() for v in
                           e_step_torch(startprob, transmat, le_device, frames))
    print(f"numpy e_step (CPU)                {t_numpy:8.3f} s")
    print(f"torch e_step_torch ({device.type:>4})          {t_torch:8.3f} s")
    print(f"largest differences: log-likelihood {np.max(np.abs(t_ll - ll) / np.abs(ll)):.1e} "
          f"(relative), gamma {np.max(np.abs(t_gamma - gamma)):.1e}, transition counts "
          f"{np.max(np.abs(t_xi - xi) / np.abs(xi)):.1e} (relative)")
    print(f"speed-up of torch on {device.type} over numpy: {t_numpy / t_torch:.2f}x")


if __name__ == "__main__":
    main()
