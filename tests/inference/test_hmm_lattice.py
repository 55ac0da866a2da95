"""The blocked, scaled forward-backward of gdlab.inference.hmm against a log-space reference."""

import numpy as np
import pytest
from scipy.special import logsumexp

from gdlab.inference import hmm as lattice


def log_space_reference(startprob, transmat, log_emit_seqs):
    """log p(x), posteriors and expected transition counts, one sequence at a time in logs."""
    log_a0, log_A = np.log(startprob), np.log(transmat)
    lls, gammas, xi = [], [], np.zeros_like(transmat)
    for le in log_emit_seqs:  # (T_i, S)
        T = len(le)
        la, lb = np.empty_like(le), np.zeros_like(le)
        la[0] = log_a0 + le[0]
        for t in range(1, T):
            la[t] = logsumexp(la[t - 1][:, None] + log_A, axis=0) + le[t]
        for t in range(T - 2, -1, -1):
            lb[t] = logsumexp(log_A + (le[t + 1] + lb[t + 1])[None, :], axis=1)
        ll = logsumexp(la[-1])
        lls.append(ll)
        gammas.append(np.exp(la + lb - ll))
        for t in range(T - 1):
            xi += np.exp(la[t][:, None] + log_A + (le[t + 1] + lb[t + 1])[None, :] - ll)
    return np.array(lls), np.concatenate(gammas), xi


def lattice_e_step(startprob, transmat, log_emit_seqs):
    """e_step on the padded layout; gamma back in stacked frame order."""
    frames = lattice.Frames([np.zeros((len(le), 1)) for le in log_emit_seqs])
    S = len(startprob)
    rows = np.zeros((S, frames.T * frames.N))
    rows[:, frames.pos] = np.concatenate(log_emit_seqs).T
    log_emit = lattice.rows_to_tsn(rows, frames)
    ll, gamma, xi, _ = lattice.e_step(startprob, transmat, log_emit, frames)
    return ll, lattice.tsn_to_rows(gamma)[:, frames.pos].T, xi


def random_problem(rng, lengths, S=4, spread=3.0):
    startprob = rng.dirichlet(np.ones(S))
    transmat = rng.dirichlet(np.ones(S), size=S)
    log_emit = [rng.normal(0.0, spread, (n, S)) for n in lengths]
    return startprob, transmat, log_emit


@pytest.mark.parametrize("block_bytes", [1, 8 * 4 * 5 * 3, 1 << 30])
def test_forward_backward_matches_log_space_for_any_block_size(monkeypatch, block_bytes):
    """Blocks of 1 step, of 3 steps, or one block: the same log-likelihoods, posteriors
    and transition counts as the log-space recursion, with variable lengths (padding)."""
    monkeypatch.setattr(lattice, "_BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(0)
    problem = random_problem(rng, [7, 1, 12, 4, 12])
    ll, gamma, xi = lattice_e_step(*problem)
    ref_ll, ref_gamma, ref_xi = log_space_reference(*problem)
    np.testing.assert_allclose(ll, ref_ll, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gamma, ref_gamma, rtol=0, atol=1e-12)
    np.testing.assert_allclose(gamma.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(xi, ref_xi, rtol=1e-10, atol=1e-10)


def test_runs_of_improbable_frames_are_rescaled_at_every_step(monkeypatch):
    """Each frame is ~e^-80 likelier under the state the chain is least likely to be in:
    within a block the scale falls far below 1e-100, so the block is redone as one-step
    blocks (normalized every step), and the result still matches the log-space recursion."""
    S, T = 3, 40
    transmat = np.full((S, S), 1e-12) + (1 - S * 1e-12) * np.eye(S)
    startprob = np.full(S, 1.0 / S)
    states = np.arange(T) % S  # a new state every step, against the sticky chain
    log_emit = np.full((T, S), -80.0)
    log_emit[np.arange(T), states] = 0.0
    calls = []
    rescaled = lattice._forward_one_step_blocks
    monkeypatch.setattr(lattice, "_forward_one_step_blocks",
                        lambda *args: calls.append(1) or rescaled(*args))
    ll, gamma, xi = lattice_e_step(startprob, transmat, [log_emit, log_emit[:25]])
    ref_ll, ref_gamma, ref_xi = log_space_reference(startprob, transmat, [log_emit, log_emit[:25]])
    assert calls  # the rescaled path ran
    np.testing.assert_allclose(ll, ref_ll, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(gamma, ref_gamma, rtol=0, atol=1e-12)
    np.testing.assert_allclose(xi, ref_xi, rtol=1e-10, atol=1e-10)


def test_rescaled_blocks_beside_plain_blocks_match_log_space(monkeypatch):
    """Blocks of 12 steps: a run of improbable frames (each ~1e-12 likely) fills the second
    block, which is redone as one-step blocks (alpha normalized); the blocks around it are
    not (alpha left times the block's scale). The backward pass crosses between both
    kinds, in both directions, with sequences ending inside either kind."""
    S, T = 3, 40
    monkeypatch.setattr(lattice, "_BLOCK_BYTES", 8 * S * 3 * 12)  # N = 3 sequences
    transmat = np.full((S, S), 1e-12) + (1 - S * 1e-12) * np.eye(S)
    startprob = np.full(S, 1.0 / S)
    rng = np.random.default_rng(5)
    log_emit = rng.normal(0.0, 1.0, (T, S))
    run = np.arange(13, 26)  # a new state every step, against the sticky chain
    log_emit[run] = -80.0
    log_emit[run, run % S] = 0.0
    seqs = [log_emit, log_emit[:18], log_emit[:31]]
    calls = []
    rescaled = lattice._forward_one_step_blocks
    monkeypatch.setattr(lattice, "_forward_one_step_blocks",
                        lambda *args: calls.append(args[-1]) or rescaled(*args))
    ll, gamma, xi = lattice_e_step(startprob, transmat, seqs)
    ref_ll, ref_gamma, ref_xi = log_space_reference(startprob, transmat, seqs)
    assert calls == [12]  # the second block only
    np.testing.assert_allclose(ll, ref_ll, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(gamma, ref_gamma, rtol=0, atol=1e-12)
    np.testing.assert_allclose(xi, ref_xi, rtol=1e-10, atol=1e-10)


def test_impossible_sequence_has_minus_inf_log_likelihood():
    startprob = np.array([1.0, 0.0])
    transmat = np.eye(2)
    log_emit = [np.array([[0.0, 0.0], [-np.inf, 0.0]]), np.zeros((3, 2))]
    ll, _, _ = lattice_e_step(startprob, transmat, log_emit)
    assert ll[0] == -np.inf and np.isfinite(ll[1])


@pytest.mark.parametrize("missing", [False, True])
def test_blocked_emission_statistics_equal_the_whole_batch_ones(monkeypatch, missing):
    """One diagonal Gaussian per state: the log-emissions and M-step statistics computed
    block by block inside the forward-backward pass give the same EM as those computed
    on the whole batch (variable lengths; with missing entries and whole missing frames)."""
    from gdlab.models._hmm_emissions import GaussianEmission
    from gdlab.models.hmm import HMM

    monkeypatch.setattr(lattice, "_BLOCK_BYTES", 8 * 3 * 6 * 7)  # blocks of 7 steps
    rng = np.random.default_rng(3)
    lengths = [30, 18, 30, 5, 22, 9]
    X = np.concatenate([rng.normal(0, 1, (n, 3)) + 3 * (rng.random((n, 1)) < 0.5)
                        for n in lengths])
    if missing:
        X[rng.random(X.shape) < 0.2] = np.nan
        X[rng.random(len(X)) < 0.1] = np.nan
    fitted = {}
    for fused in (True, False):
        if not fused:
            monkeypatch.setattr(GaussianEmission, "blocks", lambda self, batch: None)
        model = HMM(3, max_iter=8, tol=0, random_state=0).fit(X, lengths)
        fitted[fused] = model
    a, b = fitted[True], fitted[False]
    for name in ("startprob_", "transmat_", "means_", "covars_", "monitor_"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(a.score_samples(X, lengths), b.score_samples(X, lengths),
                               rtol=1e-12, atol=1e-10)
