"""Denoising diffusion: schedules, samplers, the density, the conditional classifier."""

import math

import numpy as np
import pytest
import torch
from _estimator_checks import (
    bounded_data,
    check_huge_values_refused,
    check_samples_stay_in_fit_range,
)
from scipy.stats import norm
from sklearn.utils.estimator_checks import parametrize_with_checks

import gdlab
from gdlab import capabilities
from gdlab.models.diffusion import (
    ConditionalDiffusion,
    DDIMSampler,
    DDPMSampler,
    DiffusionModel,
    Schedule,
    StepOutput,
    cosine_schedule,
    linear_schedule,
)

TINY = dict(n_steps=20, hidden_sizes=(16,), time_embedding_dim=8, max_epochs=2,
            n_elbo_steps=4, batch_size=32, random_state=0)


# ------------------------------------------------------------------------- schedules


def test_linear_schedule_matches_closed_form():
    s = linear_schedule(50, 1e-3, 0.05)
    betas = np.linspace(1e-3, 0.05, 50)
    np.testing.assert_allclose(s.betas, betas)
    np.testing.assert_allclose(s.alphas, 1 - betas)
    np.testing.assert_allclose(s.alpha_bars, np.cumprod(1 - betas))
    np.testing.assert_allclose(s.alpha_bars_prev, np.r_[1.0, np.cumprod(1 - betas)[:-1]])
    assert s.T == 50 and s.betas.dtype == np.float64


def test_cosine_schedule_matches_nichol_dhariwal():
    T, s_off = 100, 0.008
    s = cosine_schedule(T, s=s_off)

    def f(t):
        return np.cos((t / T + s_off) / (1 + s_off) * np.pi / 2) ** 2

    target = f(np.arange(1, T + 1)) / f(0)
    clipped = s.betas >= 0.999
    assert clipped[-1] and clipped.sum() == 1  # only the singular last step is clipped
    # alpha_bar falls to ~1e-4 before the last step: an atol for the libm rounding there
    np.testing.assert_allclose(s.alpha_bars[:-1], target[:-1], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(s.alpha_bars, np.cumprod(1 - s.betas), atol=1e-15)
    assert s.betas.max() <= 0.999 and (np.diff(s.betas) > 0).all()


@pytest.mark.parametrize("schedule", [linear_schedule(30, 0.01, 0.2), cosine_schedule(30)])
def test_posterior_of_schedule_is_bayes_rule(schedule):
    # q(x_{t-1} | x_t, x_0) from q(x_{t-1} | x_0) = N(sqrt(ab_prev) x0, 1 - ab_prev) and
    # q(x_t | x_{t-1}) = N(sqrt(alpha) x_{t-1}, beta): a product of Gaussians in x_{t-1}
    x0, xt = 0.7, -0.4
    for t in range(1, schedule.T):
        ab_prev, a, b = schedule.alpha_bars_prev[t], schedule.alphas[t], schedule.betas[t]
        prec = 1 / (1 - ab_prev) + a / b
        mean = (math.sqrt(ab_prev) * x0 / (1 - ab_prev) + math.sqrt(a) * xt / b) / prec
        assert schedule.posterior_variance[t] == pytest.approx(1 / prec, rel=1e-9)
        got = schedule.posterior_mean_coef1[t] * x0 + schedule.posterior_mean_coef2[t] * xt
        assert got == pytest.approx(mean, rel=1e-9, abs=1e-12)
    assert schedule.posterior_variance[0] == 0.0


def test_schedule_is_frozen_and_checked():
    s = linear_schedule(5, 0.1, 0.2)
    with pytest.raises(ValueError):
        s.betas[0] = 0.5  # read-only arrays
    with pytest.raises(AttributeError):
        s.betas = np.ones(5) * 0.1
    with pytest.raises(ValueError, match="open interval"):
        Schedule(np.array([0.1, 1.0]))
    with pytest.raises(ValueError, match="T must be"):
        cosine_schedule(0)
    with pytest.raises(ValueError, match="beta_end"):
        linear_schedule(10, 1e-4, 1.5)


# -------------------------------------------------------------------------- samplers

SCHED = cosine_schedule(40)
SAMPLERS = {
    "ddpm": lambda clip=None: DDPMSampler(SCHED, clip_sample=clip),
    "ddim": lambda clip=None: DDIMSampler(SCHED, n_steps=10, clip_sample=clip),
    "ddim-eta1": lambda clip=None: DDIMSampler(SCHED, n_steps=10, eta=1.0, clip_sample=clip),
}


def _oracle_eps(x0):
    """The exact noise prediction when the data is the single point x0."""
    def eps(x, t):
        ab = SCHED.alpha_bars[t]
        return (x - math.sqrt(ab) * x0) / math.sqrt(1 - ab)
    return eps


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_sampler_with_exact_noise_recovers_a_point_mass(name):
    sampler = SAMPLERS[name]()
    x0 = torch.tensor([[1.5, -2.0, 0.3]], dtype=torch.float64).repeat(4, 1)
    eps = _oracle_eps(x0)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(x0.shape, generator=gen, dtype=torch.float64)
    steps = sampler.timesteps()
    assert steps[0] == SCHED.T - 1 and steps[-1] == 0 and (np.diff(steps) < 0).all()
    for t in steps:
        out = sampler.step(eps(x, int(t)), int(t), x, gen)
        assert isinstance(out, StepOutput) and out.prev_sample.shape == x.shape
        torch.testing.assert_close(out.pred_original_sample, x0)
        x = out.prev_sample
    torch.testing.assert_close(x, x0)


def test_ddpm_step_is_the_closed_form_posterior():
    sampler = DDPMSampler(SCHED)
    x0 = torch.tensor([[0.5, -1.0]], dtype=torch.float64)
    noise = torch.tensor([[0.3, 0.8]], dtype=torch.float64)
    t = 17
    ab = SCHED.alpha_bars[t]
    xt = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * noise
    out = sampler.step(noise, t, xt, torch.Generator().manual_seed(5))
    z = torch.randn(xt.shape, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    mean = SCHED.posterior_mean_coef1[t] * x0 + SCHED.posterior_mean_coef2[t] * xt
    torch.testing.assert_close(out.prev_sample, mean + math.sqrt(SCHED.posterior_variance[t]) * z)
    # the last step adds no noise: it returns the x_0 prediction
    last = sampler.step(noise, 0, xt, None)
    torch.testing.assert_close(last.prev_sample, last.pred_original_sample)


def test_ddim_eta0_is_deterministic_and_eta1_is_not():
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(1))
    eps = torch.randn(6, 3, generator=torch.Generator().manual_seed(2))
    det = DDIMSampler(SCHED, n_steps=8)
    t = int(det.timesteps()[2])
    a = det.step(eps, t, x, torch.Generator().manual_seed(0)).prev_sample
    b = det.step(eps, t, x, torch.Generator().manual_seed(99)).prev_sample
    torch.testing.assert_close(a, b)
    sto = DDIMSampler(SCHED, n_steps=8, eta=1.0)
    c = sto.step(eps, t, x, torch.Generator().manual_seed(0)).prev_sample
    d = sto.step(eps, t, x, torch.Generator().manual_seed(99)).prev_sample
    assert not torch.allclose(c, d)


def test_sampler_clips_x0_and_checks_arguments():
    sampler = DDPMSampler(SCHED, clip_sample=(-1.0, 1.0))
    x = torch.full((2, 2), 50.0)
    out = sampler.step(torch.zeros(2, 2), 5, x, None)
    assert out.pred_original_sample.abs().max() <= 1.0
    with pytest.raises(ValueError, match="t must be a step"):
        sampler.step(torch.zeros(2, 2), SCHED.T, x, None)
    with pytest.raises(ValueError, match="not one of this DDIM"):
        DDIMSampler(SCHED, n_steps=5).step(torch.zeros(2, 2), 3, x, None)
    with pytest.raises(ValueError, match="n_steps must be at most"):
        DDIMSampler(SCHED, n_steps=41)
    with pytest.raises(TypeError, match="Schedule"):
        DDPMSampler(np.ones(3))


# ------------------------------------------------------------------------ estimators


def _two_blobs(n=120, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    X = rng.normal(scale=0.5, size=(n, 2)) + np.where(y[:, None] == 1, 3.0, -3.0)
    return X, y


@pytest.fixture(scope="module")
def blobs_model():
    X, y = _two_blobs()
    model = ConditionalDiffusion(n_steps=40, hidden_sizes=(64, 64), time_embedding_dim=16,
                                 max_epochs=60, lr=3e-3, validation_fraction=0.0,
                                 n_elbo_steps=10, p_uncond=0.2, random_state=0).fit(X, y)
    return model, X, y


def test_capabilities_are_honest():
    assert capabilities(DiffusionModel()) == {"density_bound", "sample"}
    assert capabilities(ConditionalDiffusion()) == {"classify", "density_bound", "sample",
                                                    "conditional_sample"}


def test_training_loss_decreases_on_a_fixed_tiny_set():
    X, _ = _two_blobs(64)
    model = DiffusionModel(n_steps=30, hidden_sizes=(32, 32), time_embedding_dim=8,
                           max_epochs=25, lr=3e-3, validation_fraction=0.0,
                           random_state=0).fit(X)
    losses = [h["train_loss"] for h in model.history_]
    assert len(losses) == 25
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:3])


def test_conditional_samples_have_their_class_and_seeds_repeat(blobs_model):
    model, X, y = blobs_model
    Xs, ys = model.sample(y=np.repeat([0, 1], 40), random_state=3)
    assert Xs.shape == (80, 2) and ys.tolist() == [0] * 40 + [1] * 40
    centres = np.array([X[y == k].mean(0) for k in (0, 1)])
    nearest = np.argmin(((Xs[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    assert (nearest == ys).mean() >= 0.9
    again, _ = model.sample(y=np.repeat([0, 1], 40), random_state=3)
    np.testing.assert_array_equal(Xs, again)
    other, _ = model.sample(y=np.repeat([0, 1], 40), random_state=4)
    assert not np.allclose(Xs, other)
    Xp, yp = model.sample(50, random_state=0)  # labels from the prior
    assert Xp.shape == (50, 2) and set(yp.tolist()) <= {0, 1}


def test_guidance_moves_samples_toward_their_class(blobs_model):
    model, X, y = blobs_model
    centre = X[y == 1].mean(0)

    def mean_distance(scale):
        model.set_params(guidance_scale=scale)
        try:
            Xs, _ = model.sample(200, y=1, random_state=0)
        finally:
            model.set_params(guidance_scale=1.0)
        return np.linalg.norm(Xs - centre, axis=1).mean()

    unconditional, conditional, guided = mean_distance(0.0), mean_distance(1.0), \
        mean_distance(3.0)
    assert guided <= conditional < unconditional
    assert unconditional > 1.5  # s = 0 ignores the label: about half the draws are class 0


#: Agreement of two evaluations of the same bound (|values| < 100 nats). The denoiser runs
#: in float32, and BLAS rounds a row's float32 dot products differently by its place in
#: the batch and by the thread count (seen: 1.7e-6 with 2 threads, 0 with 1 or 3): a few
#: float32 ulps of every network output, summed over ~10 weighted terms.
ELBO_ATOL = 1e-4


def test_classifier_posteriors_and_accuracy(blobs_model):
    model, X, y = blobs_model
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert model.score(X, y) >= 0.95
    lj = model.log_joint(X[:5])
    assert np.abs(lj).max() < 100  # the scale ELBO_ATOL is sized for
    np.testing.assert_allclose(lj - np.log(model.class_prior_), model.elbo(X[:5]),
                               rtol=0, atol=ELBO_ATOL)
    # the prior is the class frequencies, with the counts kept as every classifier keeps them
    np.testing.assert_array_equal(model.class_count_, [60.0, 60.0])
    np.testing.assert_array_equal(model.class_prior_, [0.5, 0.5])
    # scores are per row: they do not depend on the other rows in X or their order
    np.testing.assert_allclose(model.log_joint(X[:5][::-1]), lj[::-1], rtol=0, atol=ELBO_ATOL)


class _ExactDenoiser(torch.nn.Module):
    """The optimal noise prediction for standard normal data: E[eps | z_t] = sqrt(1 - ab_t) z_t."""

    def __init__(self, alpha_bars):
        super().__init__()
        # a buffer moves with the module (the model may be on CUDA with device="auto")
        self.register_buffer("alpha_bars",
                             torch.as_tensor(np.array(alpha_bars), dtype=torch.float32))

    def forward(self, x, t, y=None):
        return torch.sqrt(1 - self.alpha_bars[t])[:, None] * x


def test_elbo_of_the_exact_denoiser_is_a_close_lower_bound():
    rng = np.random.RandomState(0)
    X, Xtest = rng.normal(1.0, 2.0, size=(50, 1)), rng.normal(1.0, 2.0, size=(2000, 1))
    model = DiffusionModel(**{**TINY, "n_steps": 200, "n_elbo_steps": None,
                              "clip_denoised": False}).fit(X)
    model.module_ = _ExactDenoiser(model._schedule().alpha_bars).to(model.device_)
    model.mean_, model.scale_ = np.array([1.0]), np.array([2.0])  # the true standardization
    bound = model.score_samples(Xtest)
    truth = norm(1.0, 2.0).logpdf(Xtest[:, 0])
    # a bound (up to Monte Carlo noise), loose by the fixed-variance gap of about 0.5 nats
    assert truth.mean() - 0.7 <= bound.mean() <= truth.mean() + 0.05
    strat = model.elbo(Xtest, n_elbo_steps=20)  # stratified: unbiased, close on average
    assert abs(strat.mean() - bound.mean()) < 0.1


def test_elbo_of_a_trained_model_is_a_sensible_lower_bound():
    rng = np.random.RandomState(0)
    X = rng.normal(1.0, 2.0, size=(400, 1))
    Xtest = rng.normal(1.0, 2.0, size=(500, 1))
    model = DiffusionModel(n_steps=100, hidden_sizes=(64, 64), time_embedding_dim=16,
                           max_epochs=60, lr=3e-3, validation_fraction=0.0,
                           n_elbo_steps=20, random_state=0).fit(X)
    bound = model.score_samples(Xtest)
    truth = norm(1.0, 2.0).logpdf(Xtest[:, 0])
    assert np.isfinite(bound).all()
    # E_p[ELBO] <= E_p[log q_model] <= E_p[log p] (Gibbs); a fitted model is not far below
    assert truth.mean() - 1.5 <= bound.mean() <= truth.mean() + 0.05
    # rows far from the data score lower than typical ones
    assert model.score_samples(np.array([[14.0], [-12.0]])).max() < np.median(bound) - 5


def test_elbo_accounts_for_the_standardizing_jacobian():
    X, _ = _two_blobs(60)
    a = DiffusionModel(**TINY).fit(X)
    b = DiffusionModel(**TINY).fit(10.0 * X + 5.0)
    # the two fits see float32 inputs that differ by rounding: equal up to float32 noise
    np.testing.assert_allclose(b.score_samples(10.0 * X + 5.0),
                               a.score_samples(X) - X.shape[1] * np.log(10.0), rtol=0,
                               atol=ELBO_ATOL)
    # the same model, samples in original units
    np.testing.assert_allclose(b.sample(5, random_state=0), 10.0 * a.sample(5, random_state=0)
                               + 5.0, rtol=1e-4, atol=1e-4)


def test_ddim_and_conv_denoiser_on_images():
    rng = np.random.RandomState(0)
    y = np.arange(40) % 2
    imgs = np.zeros((40, 4, 4))
    imgs[y == 0, :, :2] = 1.0
    imgs[y == 1, :, 2:] = 1.0
    X = imgs.reshape(40, 16) + 0.05 * rng.normal(size=(40, 16))
    model = ConditionalDiffusion(architecture="conv", image_shape=(4, 4), channels=8,
                                 sampler="ddim", sampling_steps=5, **TINY).fit(X, y)
    Xs, ys = model.sample(6, y=1, random_state=0)
    assert Xs.shape == (6, 16) and (ys == 1).all()
    np.testing.assert_array_equal(Xs, model.sample(6, y=1, random_state=0)[0])
    assert np.isfinite(model.log_joint(X[:3])).all()


def test_save_load_round_trip_is_identical(tmp_path, blobs_model):
    model, X, _ = blobs_model
    loaded = gdlab.load(gdlab.save(model, tmp_path / "diffusion.gdlab"))
    np.testing.assert_array_equal(loaded.predict_proba(X[:10]), model.predict_proba(X[:10]))
    np.testing.assert_array_equal(loaded.sample(7, y=0, random_state=2)[0],
                                  model.sample(7, y=0, random_state=2)[0])
    dens = DiffusionModel(**TINY).fit(X)
    back = gdlab.load(gdlab.save(dens, tmp_path / "density.gdlab"))
    np.testing.assert_array_equal(back.score_samples(X[:10]), dens.score_samples(X[:10]))
    np.testing.assert_array_equal(back.sample(4, random_state=1), dens.sample(4, random_state=1))


# ------------------------------------------------------------------------ bad input


def test_bad_input_raises_clear_errors():
    X, y = _two_blobs(40)
    with pytest.raises(ValueError, match="have 64 pixels, but X has 2 features"):
        ConditionalDiffusion(architecture="conv", image_shape=(8, 8), **TINY).fit(X, y)
    with pytest.raises(ValueError, match="needs image_shape"):
        DiffusionModel(architecture="conv", **TINY).fit(X)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ConditionalDiffusion(**TINY).fit(Xn, y)
    with pytest.raises(ValueError, match="schedule must be one of"):
        DiffusionModel(schedule="quadratic").fit(X)
    with pytest.raises(ValueError, match="n_steps must be an int >= 2"):
        DiffusionModel(n_steps=1).fit(X)
    with pytest.raises(ValueError, match="sampling_steps is for sampler='ddim'"):
        DiffusionModel(sampling_steps=10).fit(X)
    with pytest.raises(ValueError, match="p_uncond > 0"):
        ConditionalDiffusion(p_uncond=0.0, guidance_scale=2.0).fit(X, y)
    with pytest.raises(ValueError, match="hidden_sizes"):
        DiffusionModel(hidden_sizes=()).fit(X)
    with pytest.raises(ValueError, match="time_embedding_dim must be even"):
        DiffusionModel(time_embedding_dim=7).fit(X)
    model = ConditionalDiffusion(**TINY).fit(X, y)
    with pytest.raises(ValueError, match="labels not seen in fit"):
        model.sample(3, y=5)
    with pytest.raises(ValueError, match="NaN"):
        model.predict(Xn)
    with pytest.raises(ValueError, match="expecting 2 features"):
        model.predict(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="whole rows only"):
        model._conditional_draw(X[:2], np.array([0, 1]), np.random.RandomState(0))
    with pytest.raises(TypeError, match="n_elbo_steps"):
        model.elbo(X[:2], n_elbo_steps=2.5)
    model.set_params(sampler="euler")  # sampling settings are checked again when sampling
    with pytest.raises(ValueError, match="sampler must be one of"):
        model.sample(2, y=0)


@pytest.mark.parametrize("cls", [DiffusionModel, ConditionalDiffusion])
def test_huge_values_are_refused_before_training(cls):
    check_huge_values_refused(cls(**TINY), *_two_blobs(40), at=(7, 0), score="score_samples")


def test_samples_of_bounded_data_stay_in_the_range_seen_in_fit():
    X, y = bounded_data()
    for model in (DiffusionModel(**TINY).fit(X), ConditionalDiffusion(**TINY).fit(X, y),
                  ConditionalDiffusion(**TINY, sampler="ddim", sampling_steps=5).fit(X, y)):
        check_samples_stay_in_fit_range(model, X, 300, random_state=0)


# ------------------------------------------------------------------ scikit-learn checks

SK_TINY = dict(n_steps=10, hidden_sizes=(8,), time_embedding_dim=4, max_epochs=2,
               n_elbo_steps=3, random_state=0)


EXPECTED_FAILURES = {
    # the float32 network may round differently for a different batch size (~1e-7)
    "check_methods_subset_invariance": "float32 network: batch-size-dependent rounding",
    "check_methods_sample_order_invariance": "float32 network: batch-size-dependent rounding",
}


@parametrize_with_checks([DiffusionModel(**SK_TINY), ConditionalDiffusion(**SK_TINY)],
                         expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_ddim_steps_start_from_pure_noise_even_with_one_step():
    from gdlab.nn.schedules import DDIMSampler, cosine_schedule

    sched = cosine_schedule(100)
    assert DDIMSampler(sched, n_steps=1).timesteps().tolist() == [99]
    steps = DDIMSampler(sched, n_steps=5).timesteps()
    assert steps[0] == 99 and steps[-1] == 0 and np.all(np.diff(steps) < 0)
