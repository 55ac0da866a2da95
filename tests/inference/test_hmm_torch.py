"""The torch forward-backward (the GPU path) agrees with the numpy lattice in float64."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from gdlab.inference import hmm as lattice  # noqa: E402
from gdlab.inference.hmm_torch import e_step_torch  # noqa: E402
from gdlab.models.hmm import HMM  # noqa: E402


def fitted_batch(rng, lengths, missing=0.0):
    X = np.concatenate([rng.normal(0, 1, (n, 2)) + 2.5 * (rng.random((n, 1)) < 0.4)
                        for n in lengths])
    X[rng.random(len(X)) < missing] = np.nan
    model = HMM(3, max_iter=5, tol=0, random_state=0).fit(X, lengths)
    frames, em = model._batch(X, lengths)
    log_emit, _ = model._log_emissions(em)
    return model, frames, log_emit.copy()


@pytest.mark.parametrize("missing", [0.0, 0.2])
def test_torch_e_step_matches_numpy(missing):
    """Variable lengths (padding), missing frames: log-likelihoods, posteriors and
    transition counts equal the numpy lattice's to 1e-10 (CPU torch, float64)."""
    rng = np.random.default_rng(0)
    model, frames, log_emit = fitted_batch(rng, [9, 1, 14, 6, 14, 3], missing)
    ll, gamma, xi, _ = lattice.e_step(model.startprob_, model.transmat_, log_emit.copy(), frames)
    t_ll, t_gamma, t_xi = e_step_torch(model.startprob_, model.transmat_, log_emit, frames,
                                       device="cpu")
    np.testing.assert_allclose(t_ll.numpy(), ll, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(t_gamma.numpy(), gamma, rtol=0, atol=1e-10)
    np.testing.assert_allclose(t_xi.numpy(), xi, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(t_ll.numpy(), model.score_samples(_sequences(frames)),
                               rtol=1e-10, atol=1e-10)
    scores_only = e_step_torch(model.startprob_, model.transmat_, torch.as_tensor(log_emit),
                               frames, statistics=False)
    assert scores_only[1] is None and torch.equal(scores_only[0], t_ll)


def _sequences(frames):
    """The batch's frames back as the caller's list of sequences."""
    X = frames.X[frames.pos]
    return np.split(X, np.cumsum(frames.lengths)[:-1])


def test_torch_e_step_refuses_mismatched_shapes():
    frames = lattice.Frames([np.zeros((3, 1)), np.zeros((2, 1))])
    with pytest.raises(ValueError, match=r"log_emit \(T, S, N\)"):
        e_step_torch(np.full(2, 0.5), np.full((2, 2), 0.5), np.zeros((3, 2, 3)), frames)
