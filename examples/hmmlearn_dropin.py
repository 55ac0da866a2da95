"""An hmmlearn script, run on gdlab: only the import line differs.

The steps of hmmlearn's tutorial: sample from a hand-set Gaussian HMM, score
and decode it (Viterbi and MAP), fit models of several sizes and pick one by
AIC/BIC, fit a left-right model with fixed transitions, a categorical HMM
(the occasionally dishonest casino) and a Poisson HMM. With
``from hmmlearn import hmm`` instead, the same script runs on hmmlearn
(tests/models/test_hmm_facade.py runs both and compares them).

    python examples/hmmlearn_dropin.py
"""

import numpy as np

from gdlab.hmmlearn import hmm

results = {}

# -- a hand-set Gaussian HMM: sample, score, decode -----------------------------------------------
gen = hmm.GaussianHMM(n_components=3, covariance_type="full")
gen.startprob_ = np.array([0.6, 0.3, 0.1])
gen.transmat_ = np.array([[0.7, 0.2, 0.1], [0.3, 0.5, 0.2], [0.3, 0.3, 0.4]])
gen.means_ = np.array([[0.0, 0.0], [3.0, -3.0], [5.0, 10.0]])
gen.covars_ = np.tile(np.identity(2), (3, 1, 1))
rng = np.random.RandomState(42)
X = np.concatenate([rng.multivariate_normal(gen.means_[k], np.identity(2), 40)
                    for k in (0, 1, 2, 1, 0)])
lengths = [100, 100]
results["true_score"] = gen.score(X, lengths)
results["viterbi"] = gen.decode(X, lengths, algorithm="viterbi")
results["map"] = gen.decode(X, lengths, algorithm="map")
results["posteriors"] = gen.predict_proba(X, lengths)
sampled, states = gen.sample(50, random_state=0)
results["sample_shape"] = sampled.shape
print(f"log-likelihood of the data under the true model: {results['true_score']:.4f}")

# -- fit from a hand-set start, and model selection by AIC / BIC ----------------------------------
start = hmm.GaussianHMM(n_components=3, covariance_type="diag", init_params="", n_iter=20,
                        tol=-np.inf, covars_prior=0.0)
start.startprob_ = np.full(3, 1 / 3)
start.transmat_ = np.full((3, 3), 1 / 3)
start.means_ = np.array([[1.0, 1.0], [2.0, -2.0], [4.0, 8.0]])
start.covars_ = np.ones((3, 2))
start.fit(X, lengths)
results["from_start_means"] = start.means_
results["from_start_history"] = np.asarray(start.monitor_.history)
for n in (2, 3, 4):
    model = hmm.GaussianHMM(n_components=n, covariance_type="spherical", n_iter=50,
                            random_state=0).fit(X, lengths)
    results[f"aic_{n}"], results[f"bic_{n}"] = model.aic(X, lengths), model.bic(X, lengths)
    print(f"{n} states: AIC {results[f'aic_{n}']:.1f}  BIC {results[f'bic_{n}']:.1f}")
results["best_by_bic"] = min((2, 3, 4), key=lambda n: results[f"bic_{n}"])

# -- a left-right model whose transitions stay as given -------------------------------------------
lr = hmm.GaussianHMM(n_components=3, covariance_type="tied", init_params="mc", params="smc",
                     n_iter=30, random_state=0)
lr.startprob_ = np.array([1.0, 0.0, 0.0])
lr.transmat_ = np.array([[0.95, 0.05, 0.0], [0.0, 0.95, 0.05], [0.0, 0.0, 1.0]])
lr.fit(X[:120])
results["left_right_transmat"] = lr.transmat_

# -- the occasionally dishonest casino: a categorical HMM -----------------------------------------
casino = hmm.CategoricalHMM(n_components=2, init_params="", n_iter=30, tol=-np.inf)
casino.startprob_ = np.array([0.5, 0.5])
casino.transmat_ = np.array([[0.95, 0.05], [0.1, 0.9]])
casino.emissionprob_ = np.vstack([np.full(6, 1 / 6), [0.1] * 5 + [0.5]])
drawn, _ = casino.sample(10, random_state=1)  # (10, 1) symbols
results["casino_sample_shape"] = drawn.shape
fair, loaded = np.full(6, 1 / 6), np.array([0.1] * 5 + [0.5])
rolls = np.concatenate([rng.choice(6, size=(n, 1), p=p)
                        for n, p in ((80, fair), (40, loaded), (100, fair), (60, loaded))])
results["casino_score"] = casino.score(rolls)
results["casino_map"] = casino.decode(rolls, algorithm="map")[1]
casino.fit(rolls)
results["casino_emissionprob"] = casino.emissionprob_

# -- counts: a Poisson HMM ------------------------------------------------------------------------
counts = np.concatenate([rng.poisson(2.0, (60, 2)), rng.poisson([9.0, 1.0], (60, 2))])
pois = hmm.PoissonHMM(n_components=2, init_params="", n_iter=10, tol=-np.inf)
pois.startprob_ = np.array([0.5, 0.5])
pois.transmat_ = np.array([[0.9, 0.1], [0.1, 0.9]])
pois.lambdas_ = np.array([[1.0, 1.0], [5.0, 2.0]])
pois.fit(counts)
results["poisson_lambdas"] = pois.lambdas_
print("Poisson rates:\n", np.round(pois.lambdas_, 3))
