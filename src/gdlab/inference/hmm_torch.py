"""The HMM forward-backward pass in torch, batched over many sequences (a GPU path).

The same lattice as :func:`gdlab.inference.hmm.e_step` (padded, length-sorted
sequences of a :class:`~gdlab.inference.hmm.Frames`; exp-normalized emissions; the
recursions scaled at every step) written with torch tensors, so that it runs on
any torch device. Each time step is a few batched kernels over all running
sequences (a ``(n, S) @ (S, S)`` product, a product with the emissions, a sum
and a division), so a GPU pays off when there are many sequences (thousands)
to share each step's kernel launches; for a few hundred sequences the numpy
lattice on the CPU is faster. Everything runs in float64, as the numpy path
does, and agrees with it to rounding.

Examples
--------
>>> import numpy as np
>>> from gdlab.inference.hmm import Frames, e_step
>>> from gdlab.inference.hmm_torch import e_step_torch
>>> frames = Frames([np.zeros((4, 1)), np.zeros((3, 1))])
>>> log_emit = np.random.default_rng(0).normal(size=(frames.T, 2, frames.N))
>>> log_emit[3, :, 1] = 0.0  # padding
>>> start, trans = np.array([0.6, 0.4]), np.array([[0.9, 0.1], [0.2, 0.8]])
>>> ll_torch, gamma, xi = e_step_torch(start, trans, log_emit, frames, device="cpu")
>>> ll_numpy = e_step(start, trans, log_emit.copy(), frames)[0]
>>> bool(np.allclose(ll_torch.numpy(), ll_numpy, rtol=1e-12, atol=0))
True
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["e_step_torch"]


def _as_tensor(value, device):
    return torch.as_tensor(np.asarray(value, dtype=np.float64) if not torch.is_tensor(value)
                           else value, dtype=torch.float64, device=device)


@torch.inference_mode()
def e_step_torch(startprob, transmat, log_emit, frames, *, statistics=True, device=None):
    """One forward-backward pass over a batch of sequences, on a torch device.

    Parameters
    ----------
    startprob : array-like or Tensor of shape (S,)
    transmat : array-like or Tensor of shape (S, S)
    log_emit : array-like or Tensor of shape (T, S, N)
        Log-emissions of every state at every padded position of ``frames`` (the
        layout of :func:`gdlab.inference.hmm.e_step`; 0 at padding). A tensor
        already on ``device`` is used as it is (not modified).
    frames : Frames
        The batch layout (sequence lengths, sorted by decreasing length).
    statistics : bool, default=True
        Whether to run the backward pass.
    device : str or torch.device, optional
        Where to compute; None: the device of ``log_emit`` if it is a tensor,
        else the CPU.

    Returns
    -------
    log_lik : Tensor of shape (n_sequences,)
        log p(x_1..T) of each sequence, in the caller's order (-inf when impossible).
    gamma : Tensor of shape (T, S, N) or None
        State posteriors p(z_t | x_1..T) (0 at padding).
    xi_sum : Tensor of shape (S, S) or None
        Expected transition counts summed over all sequences and steps.

    Raises
    ------
    ValueError
        If the shapes of the parameters and of ``log_emit`` do not match ``frames``.
    """
    if device is None:
        device = log_emit.device if torch.is_tensor(log_emit) else "cpu"
    start = _as_tensor(startprob, device)
    A = _as_tensor(transmat, device)
    le = _as_tensor(log_emit, device)
    S = start.shape[0]
    T, N = frames.T, frames.N
    if A.shape != (S, S) or tuple(le.shape) != (T, S, N):
        raise ValueError(f"expected startprob (S,), transmat (S, S) and log_emit (T, S, N) = "
                         f"({T}, {S}, {N}) for these frames, got {tuple(start.shape)}, "
                         f"{tuple(A.shape)} and {tuple(le.shape)}.")
    n_active = [int(n) for n in frames.n_active]
    le = le.permute(0, 2, 1)  # (T, N, S): each step's (n, S) rows are contiguous in memory
    m = le.amax(dim=2)
    m = torch.where(torch.isfinite(m), m, torch.zeros((), dtype=m.dtype, device=device))
    B = torch.exp(le - m[:, :, None]).contiguous()  # (T, N, S)
    alpha = torch.zeros((T, N, S), dtype=torch.float64, device=device)
    c = torch.ones((T, N), dtype=torch.float64, device=device)
    a = start * B[0]
    c[0] = a.sum(dim=1)
    alpha[0] = a / c[0, :, None]
    for t in range(1, T):
        n = n_active[t]
        a = (alpha[t - 1, :n] @ A) * B[t, :n]
        ct = a.sum(dim=1)
        c[t, :n] = ct
        alpha[t, :n] = a / ct[:, None]
    valid = torch.as_tensor(frames.valid.reshape(T, N), device=device)
    per_step = torch.where(valid, torch.log(c) + m, torch.zeros((), dtype=torch.float64,
                                                                  device=device))
    total = per_step.sum(dim=0)
    total = torch.where(torch.isnan(total), torch.full_like(total, -torch.inf), total)
    log_lik = total[torch.as_tensor(frames.rank, device=device)]
    if not statistics:
        return log_lik, None, None
    beta = torch.ones((T, N, S), dtype=torch.float64, device=device)
    Q = torch.zeros((T, N, S), dtype=torch.float64, device=device)
    AT = A.T
    for t in range(T - 2, -1, -1):
        n = n_active[t + 1]
        q = B[t + 1, :n] * beta[t + 1, :n] / c[t + 1, :n, None]
        Q[t + 1, :n] = q
        beta[t, :n] = q @ AT
    gamma = alpha * beta  # alpha is 0 at padding
    counts = torch.einsum("tni,tnj->ij", alpha[:-1], Q[1:]) if T > 1 else torch.zeros_like(A)
    return log_lik, gamma.permute(0, 2, 1), A * counts
