"""A scikit-learn naive Bayes script, run on gdlab: only the import line differs.

The steps of scikit-learn's naive Bayes user guide: Gaussian NB on iris
(posteriors, learned means and variances, out-of-core ``partial_fit``,
sample weights), multinomial and complement NB on digits' pixel counts,
Bernoulli NB on binarized pixels, categorical NB on integer codes,
multinomial, complement and Bernoulli NB on sparse word counts (fit and
out-of-core ``partial_fit`` on sparse chunks), and a grid search over
``alpha`` in a pipeline. With
``from sklearn.naive_bayes import ...`` instead, the same script runs on
scikit-learn (tests/models/test_naive_bayes.py runs both and compares
them).

    python examples/sklearn_nb_dropin.py
"""

import numpy as np
from sklearn.datasets import load_digits, load_iris
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer

from gdlab.models.naive_bayes import (
    BernoulliNB,
    CategoricalNB,
    ComplementNB,
    GaussianNB,
    MultinomialNB,
)

results = {}

# -- Gaussian NB on iris ----------------------------------------------------------------------
X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
gnb = GaussianNB().fit(X_train, y_train)
results["gaussian_proba"] = gnb.predict_proba(X_test)
results["gaussian_joint"] = gnb.predict_joint_log_proba(X_test)
results["gaussian_theta"], results["gaussian_var"] = gnb.theta_, gnb.var_
results["gaussian_accuracy"] = gnb.score(X_test, y_test)
print(f"GaussianNB on iris: {(gnb.predict(X_test) != y_test).sum()} of {len(y_test)} "
      "test points mislabeled")
# out of core: batches with every class declared on the first call
streamed = GaussianNB()
for batch in np.array_split(np.arange(len(y_train)), 5):
    streamed.partial_fit(X_train[batch], y_train[batch], classes=np.unique(y))
results["streamed_proba"] = streamed.predict_proba(X_test)
weights = np.random.RandomState(0).uniform(0.5, 2.0, len(y_train))
results["weighted_theta"] = GaussianNB().fit(X_train, y_train, sample_weight=weights).theta_

# -- counts: multinomial and complement NB on digits' pixel intensities (0 .. 16) ---------------
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
for name, model in (("multinomial", MultinomialNB(alpha=0.5)),
                    ("complement", ComplementNB())):
    model.fit(X_train, y_train)
    results[f"{name}_proba"] = model.predict_proba(X_test)
    results[f"{name}_feature_log_prob"] = model.feature_log_prob_
    results[f"{name}_class_log_prior"] = model.class_log_prior_
    results[f"{name}_accuracy"] = model.score(X_test, y_test)
    print(f"{type(model).__name__} on digits: accuracy {results[f'{name}_accuracy']:.4f}")
results["multinomial_feature_count"] = model.feature_count_

# -- Bernoulli NB on binarized pixels -----------------------------------------------------------
bnb = BernoulliNB(binarize=8.0).fit(X_train, y_train)
results["bernoulli_proba"] = bnb.predict_proba(X_test)
results["bernoulli_accuracy"] = bnb.score(X_test, y_test)
print(f"BernoulliNB on digits: accuracy {results['bernoulli_accuracy']:.4f}")

# -- categorical NB on integer codes (every test code was seen at fit) -------------------------
codes = KBinsDiscretizer(n_bins=4, encode="ordinal", strategy="uniform").fit_transform(
    load_iris().data)
c_train, c_test, cy_train, cy_test = train_test_split(codes, load_iris().target, test_size=0.5,
                                                      random_state=1)
cnb = CategoricalNB().fit(c_train, cy_train)
results["categorical_proba"] = cnb.predict_proba(c_test)
results["categorical_predict"] = cnb.predict(c_test)
print(f"CategoricalNB on binned iris: accuracy {cnb.score(c_test, cy_test):.4f}")

# -- text: word counts stay sparse (CountVectorizer's CSR matrix goes in as it is) --------------
rng = np.random.RandomState(0)
topics = {"sport": "match goal team score win league coach player season ball",
          "cooking": "recipe oven salt butter flour bake taste dinner sauce pan",
          "weather": "rain wind cloud storm sun forecast cold snow warm sky"}
common = "the a and of to in is it for on with this that".split()
docs, labels = [], []
for i in range(300):
    label = list(topics)[i % 3]
    words = rng.choice(topics[label].split() + common * 2, size=rng.randint(5, 20))
    noise = rng.choice(" ".join(topics.values()).split(), size=3)  # words of other topics
    docs.append(" ".join(np.concatenate([words, noise])))
    labels.append(label)
counts = CountVectorizer().fit_transform(docs)
for name, model in (("text_multinomial", MultinomialNB()), ("text_complement", ComplementNB())):
    model.fit(counts[:200], labels[:200])
    results[f"{name}_proba"] = model.predict_proba(counts[200:])
    results[f"{name}_accuracy"] = model.score(counts[200:], labels[200:])
    print(f"{type(model).__name__} on sparse word counts: accuracy "
          f"{results[f'{name}_accuracy']:.4f}")
online = BernoulliNB()
for batch in range(0, 200, 50):  # out of core, on sparse chunks
    online.partial_fit(counts[batch:batch + 50], labels[batch:batch + 50],
                       classes=sorted(topics))
results["text_bernoulli_proba"] = online.predict_proba(counts[200:])

# -- a grid search over alpha, in a pipeline --------------------------------------------------
search = GridSearchCV(make_pipeline(MultinomialNB()),
                      {"multinomialnb__alpha": [0.01, 0.1, 1.0, 10.0]}, cv=3)
search.fit(X_train, y_train)
results["best_alpha"] = search.best_params_["multinomialnb__alpha"]
results["cv_scores"] = search.cv_results_["mean_test_score"]
print(f"best alpha {results['best_alpha']}, CV accuracy {search.best_score_:.4f}")
