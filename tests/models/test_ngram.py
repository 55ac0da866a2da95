"""Character n-gram language models and the generative text classifier built on them."""

import itertools
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp
from sklearn.base import clone

import gdlab
from gdlab.capability_tags import capabilities, input_kind
from gdlab.models.ngram import N_CODEPOINTS, CharNGramClassifier, CharNGramLM

CORPUS = ["abracadabra", "abba", "cab", "barbara", "dada", "a", "bad cab"]
SMOOTHINGS = ["kneser-ney", "witten-bell"]


def reference_prob(texts, order, smoothing, discount, vocab, context, symbol):
    """p(symbol | context) by the textbook recursion over Python dicts (slow, obvious)."""
    bos, eos, unk = "<s>", "</s>", "<unk>"
    n_out = len(vocab) + 2
    grams = Counter()
    for t in texts:
        seq = [bos] * (order - 1) + [c if c in vocab else unk for c in t] + [eos]
        for i in range(order - 1, len(seq)):
            grams[tuple(seq[i - order + 1:i + 1])] += 1
    levels = {order: grams}
    for k in range(order - 1, 0, -1):
        lower = Counter()
        for g, c in levels[k + 1].items():
            lower[g[1:]] += 1 if smoothing == "kneser-ney" else c
        levels[k] = lower
    stats = {}
    for k, counts in levels.items():
        total, types = defaultdict(float), defaultdict(int)
        for g, c in counts.items():
            total[g[:-1]] += c
            types[g[:-1]] += 1
        stats[k] = (total, types)
    ctx = [bos] * (order - 1) + [c if c in vocab else unk for c in context]
    ctx = ctx[len(ctx) - (order - 1):] if order > 1 else []
    p = 1.0 / n_out
    for k in range(1, order + 1):
        h = tuple(ctx[len(ctx) - (k - 1):]) if k > 1 else ()
        total, types = stats[k][0].get(h, 0.0), stats[k][1].get(h, 0)
        if total == 0:
            continue
        c = levels[k].get(h + (symbol,), 0)
        if smoothing == "kneser-ney":
            p = (max(c - discount, 0.0) + discount * types * p) / total
        else:
            p = (c + types * p) / (total + types)
    return p


# -- distributions -----------------------------------------------------------
@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_next_symbol_distribution_sums_to_one_everywhere(smoothing, order):
    lm = CharNGramLM(order=order, smoothing=smoothing).fit(CORPUS)
    contexts = ["", "a", "ab", "abra", "zzzz", "q", "ba", "dab", "cabcab", "aé"]
    P = lm.next_proba(contexts)
    assert P.shape == (len(contexts), len(lm.vocabulary_) + 2)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (P > 0).all()
    assert lm.symbols_ == [*lm.vocabulary_, "<unk>", "</s>"]


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_matches_textbook_recursion(smoothing, order):
    lm = CharNGramLM(order=order, smoothing=smoothing, discount=0.6).fit(CORPUS)
    vocab = set(lm.vocabulary_)
    symbols = [*lm.vocabulary_, "<unk>", "</s>"]
    for context in ["", "a", "ab", "bra", "cad", "zz", "d a"]:
        got = lm.next_proba([context])[0]
        want = [reference_prob(CORPUS, order, smoothing, 0.6, vocab, context, s)
                for s in symbols]
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_unigram_by_hand():
    # "aab": symbols a a b </s>; outputs a, b, <unk>, </s> (4); counts 2, 1, 0, 1
    kn = CharNGramLM(order=1, discount=0.75).fit(["aab"]).next_proba([""])[0]
    np.testing.assert_allclose(kn, [(2 - 0.75) / 4 + 0.75 * 3 / 4 / 4,
                                    (1 - 0.75) / 4 + 0.75 * 3 / 4 / 4,
                                    0.75 * 3 / 4 / 4,
                                    (1 - 0.75) / 4 + 0.75 * 3 / 4 / 4])
    wb = CharNGramLM(order=1, smoothing="witten-bell").fit(["aab"]).next_proba([""])[0]
    np.testing.assert_allclose(wb, np.array([2.75, 1.75, 0.75, 1.75]) / 7)


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_score_is_chain_rule_and_proper_over_all_strings(smoothing):
    """log p(text) = sum of next-symbol log-probabilities (an unseen character gets its
    share of <unk>), and the probabilities of all strings sum to one."""
    lm = CharNGramLM(order=3, smoothing=smoothing).fit(["ab", "abb", "ba", "aab"])
    sym = {"a": 0, "b": 1, "z": 2}  # "z" is unseen: <unk>
    eos = 3
    spread = np.log(N_CODEPOINTS - 2)
    for text in ["", "a", "abz", "zzb", "bbbba"]:
        want = 0.0
        for i, c in enumerate(text + "$"):
            p = lm.next_proba([text[:i]])[0]
            want += np.log(p[eos if c == "$" else sym[c]]) - (spread if c == "z" else 0.0)
        np.testing.assert_allclose(lm.score_samples([text])[0], want, rtol=1e-12)
    # exhaustive sum over symbol strings up to length L, plus the mass still going on
    L = 5
    total = 0.0
    for n in range(L + 1):
        strings = ["".join(s) for s in itertools.product("abz", repeat=n)]
        logp = lm.score_samples(strings) if strings[0] else lm.score_samples([""])
        # each "z" stands for every one of the N_CODEPOINTS - 2 unseen characters
        logp = logp + np.array([s.count("z") for s in strings]) * spread
        total += np.exp(logp).sum()
    prefixes = ["".join(s) for s in itertools.product("abz", repeat=L)]
    cont = 1.0 - lm.next_proba(prefixes)[:, eos]  # p(prefix) * p(not </s> | prefix)
    prefix_logp = (lm.score_samples(prefixes) - np.log(lm.next_proba(prefixes)[:, eos])
                   + np.array([s.count("z") for s in prefixes]) * spread)
    total += (np.exp(prefix_logp) * cont).sum()
    assert total == pytest.approx(1.0, abs=1e-10)


def test_unseen_strings_have_nonzero_probability():
    lm = CharNGramLM(order=4).fit(CORPUS)
    scores = lm.score_samples(["xyz", "Ω≈ç", "abracadabrax", "q" * 50])
    assert np.isfinite(scores).all()
    # every unseen character is equally likely in the same context
    assert lm.score_samples(["x"])[0] == pytest.approx(lm.score_samples(["€"])[0])
    # seen text is more likely than a shuffle of it
    assert lm.score_samples(["abracadabra"])[0] > lm.score_samples(["aaabbrrcdaa"])[0]


def test_given_vocabulary_maps_other_characters_to_unk():
    lm = CharNGramLM(order=2, vocabulary="ab").fit(["abc", "cab", "acb"])
    assert lm.vocabulary_ == ["a", "b"]
    p = lm.next_proba(["a"])[0]  # after "a": "b" twice, "c" (<unk>) once, "a" never
    assert p[1] > p[2] > p[0]
    np.testing.assert_allclose(lm.score_samples(["ac"]), lm.score_samples(["ad"]))
    with pytest.raises(ValueError, match="more than once"):
        CharNGramLM(vocabulary="aba").fit(["ab"])
    with pytest.raises(ValueError, match="single characters"):
        CharNGramLM(vocabulary=["ab", "c"]).fit(["ab"])


def test_more_context_fits_training_text_better():
    text = ["the quick brown fox jumps over the lazy dog"] * 5
    bpc = [CharNGramLM(order=n).fit(text).bits_per_char(text) for n in (1, 2, 3, 5)]
    assert bpc == sorted(bpc, reverse=True)


def test_bits_per_char_and_perplexity():
    lm = CharNGramLM(order=3).fit(CORPUS)
    texts = ["abra", "cadabra", ""]
    want = -lm.score_samples(texts).sum() / np.log(2) / sum(len(t) + 1 for t in texts)
    assert lm.bits_per_char(texts) == pytest.approx(want)
    assert lm.perplexity(texts) == pytest.approx(2**want)
    assert lm.score(texts) == pytest.approx(lm.score_samples(texts).mean())


# -- sampling ----------------------------------------------------------------
def test_sampling_is_seeded_and_stays_in_vocabulary():
    lm = CharNGramLM(order=3).fit(CORPUS)
    a = lm.sample(20, random_state=0, max_length=30)
    assert a == lm.sample(20, random_state=0, max_length=30)
    assert a != lm.sample(20, random_state=1, max_length=30)
    assert all(isinstance(s, str) and len(s) <= 30 for s in a)
    assert set("".join(a)) <= set(lm.vocabulary_) | {"\ufffd"}
    p = lm.sample(5, random_state=0, prompt="abr", max_length=10)
    assert all(s.startswith("abr") and len(s) <= 13 for s in p)


def test_sample_frequencies_follow_the_model():
    lm = CharNGramLM(order=2).fit(CORPUS)
    first = lm.sample(4000, random_state=0, max_length=1)
    p = lm.next_proba([""])[0]
    counts = Counter(first)
    for i, ch in enumerate(lm.vocabulary_):
        assert counts[ch] / 4000 == pytest.approx(p[i], abs=0.03)
    assert counts[""] / 4000 == pytest.approx(p[-1], abs=0.03)  # </s> first: the empty text


def test_deterministic_corpus_is_reproduced():
    lm = CharNGramLM(order=4, smoothing="witten-bell").fit(["hello"] * 200)
    samples = lm.sample(50, random_state=0)
    assert Counter(samples).most_common(1)[0] == ("hello", pytest.approx(50, abs=5))


# -- estimator plumbing --------------------------------------------------------
def test_capabilities_clone_and_params():
    lm = CharNGramLM(order=3, smoothing="witten-bell")
    assert capabilities(lm) == {"density", "sample", "text"}
    assert input_kind(lm) == "text"
    c = clone(lm)
    assert c.get_params() == {"order": 3, "smoothing": "witten-bell", "discount": 0.75,
                              "vocabulary": None}


def test_accepts_series_dataframe_and_arrays():
    lm = CharNGramLM(order=2)
    a = lm.fit(CORPUS).score_samples(CORPUS)
    np.testing.assert_allclose(lm.fit(pd.DataFrame({"text": CORPUS})).score_samples(
        pd.Series(CORPUS, dtype="string")), a)
    np.testing.assert_allclose(lm.fit(np.asarray(CORPUS, dtype=object)).score_samples(CORPUS), a)


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_save_load_round_trip(tmp_path, smoothing):
    lm = CharNGramLM(order=4, smoothing=smoothing).fit(CORPUS)
    path = gdlab.save(lm, tmp_path / "lm.gdlab")
    back = gdlab.load(path)
    np.testing.assert_array_equal(back.score_samples(CORPUS + ["xyz"]),
                                  lm.score_samples(CORPUS + ["xyz"]))
    np.testing.assert_array_equal(back.next_proba(["ab"]), lm.next_proba(["ab"]))
    assert back.sample(5, random_state=3) == lm.sample(5, random_state=3)


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        (["ok", ""], ValueError, "empty string"),
        ([], ValueError, "no texts"),
        ("just a string", TypeError, "single str"),
        (["ok", 3], TypeError, "item 1 is int"),
        ([b"bytes"], TypeError, "bytes"),
        (np.zeros((3, 2)), ValueError, "1-D sequence of texts"),
    ],
)
def test_bad_training_input(X, error, match):
    with pytest.raises(error, match=match):
        CharNGramLM().fit(X)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"order": 0}, ValueError, "order"),
        ({"order": 2.5}, TypeError, "order"),
        ({"smoothing": "laplace"}, ValueError, "smoothing"),
        ({"discount": 0.0}, ValueError, "discount"),
        ({"discount": 1.5}, ValueError, "discount"),
        ({"vocabulary": ""}, ValueError, "empty"),
        ({"order": 20}, ValueError, "beyond int64"),
    ],
)
def test_bad_hyper_parameters(params, error, match):
    with pytest.raises(error, match=match):
        CharNGramLM(**params).fit(CORPUS)


def test_bad_arguments_after_fit():
    lm = CharNGramLM(order=2).fit(CORPUS)
    with pytest.raises(TypeError, match="n_samples"):
        lm.sample(1.5)
    with pytest.raises(ValueError, match="max_length"):
        lm.sample(2, max_length=0)
    with pytest.raises(TypeError, match="prompt"):
        lm.sample(2, prompt=3)
    with pytest.raises(TypeError, match="item 0"):
        lm.score_samples([None])
    with pytest.raises(TypeError, match="single str"):
        lm.next_proba("ab")
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CharNGramLM().score_samples(["a"])


# -- the generative classifier ----------------------------------------------------
EN = ["the cat sat on the mat", "this is the house", "where is the station", "that is the one",
      "the weather is fine", "then they went home"]
DE = ["der hund ist hier", "die katze schläft", "das haus ist gross", "wo ist der bahnhof",
      "das wetter ist schön", "dann gingen sie heim"]
IT = ["il gatto dorme", "questa è la casa", "dove è la stazione", "il tempo è bello",
      "poi sono andati a casa", "la pizza è buona"]


def test_classifier_is_bayes_rule_over_class_scores():
    clf = CharNGramClassifier(CharNGramLM(order=3)).fit(EN + DE, ["en"] * 6 + ["de"] * 6)
    test = ["the cat is there", "der kater schläft", "xyz"]
    per_class = np.column_stack([d.score_samples(test) for d in clf.densities_])
    log_joint = per_class + np.log(clf.class_prior_)
    np.testing.assert_allclose(clf.log_joint(test), log_joint, atol=1e-12)
    np.testing.assert_allclose(clf.predict_log_proba(test),
                               log_joint - logsumexp(log_joint, axis=1, keepdims=True),
                               atol=1e-12)
    np.testing.assert_allclose(clf.score_samples(test), logsumexp(log_joint, axis=1),
                               atol=1e-12)
    assert clf.predict(test[:2]).tolist() == ["en", "de"]
    np.testing.assert_allclose(clf.predict_proba(test).sum(axis=1), 1.0)


def test_classifier_defaults_and_tags():
    clf = CharNGramClassifier()
    assert isinstance(clf.class_density(), CharNGramLM) and clf.class_density().order == 5
    assert capabilities(clf) == {"classify", "density", "sample", "conditional_sample", "text"}
    assert input_kind(clf) == "text"
    assert clone(clf).get_params()["density"] is None


def test_add_class_leaves_existing_classes_unchanged():
    clf = CharNGramClassifier(CharNGramLM(order=3)).fit(EN + DE, ["en"] * 6 + ["de"] * 6)
    test = ["questo è il gatto", "the cat", "die katze"]
    before = np.column_stack([d.score_samples(test) for d in clf.densities_])
    clf.add_class(IT, "it")
    assert clf.classes_.tolist() == ["de", "en", "it"]
    after = np.column_stack([d.score_samples(test) for d in clf.densities_])
    np.testing.assert_array_equal(after[:, :2], before)  # log p(x | y) of de, en untouched
    assert clf.predict(test).tolist() == ["it", "en", "de"]
    np.testing.assert_allclose(clf.class_prior_, [6 / 18, 6 / 18, 6 / 18])


def test_classifier_samples_texts_per_class_and_round_trips(tmp_path):
    clf = CharNGramClassifier(CharNGramLM(order=3)).fit(
        pd.DataFrame({"text": EN + DE}), np.array([0] * 6 + [1] * 6))
    X, y = clf.sample(6, y=1, random_state=0, max_length=40)
    assert y.tolist() == [1] * 6 and all(isinstance(s, str) and len(s) <= 40 for s in X)
    assert set("".join(X)) <= set(clf.densities_[1].vocabulary_) | {"\ufffd"}
    X2, _ = clf.sample(6, y=1, random_state=0, max_length=40)
    assert X == X2
    path = gdlab.save(clf, tmp_path / "clf.gdlab")
    back = gdlab.load(path)
    np.testing.assert_array_equal(back.predict_proba(EN), clf.predict_proba(EN))


def test_classifier_bad_input():
    clf = CharNGramClassifier(CharNGramLM(order=2))
    with pytest.raises(ValueError, match="empty string"):
        clf.fit(["a", ""], [0, 1])
    with pytest.raises(TypeError, match="single str"):
        clf.fit("ab", [0])
    with pytest.raises(ValueError, match="2 labels"):
        clf.fit(["a", "b", "c"], [0, 1])
    clf.fit(["ab", "ba"], [0, 1])
    with pytest.raises(TypeError, match="item 0"):
        clf.predict([1.0])
