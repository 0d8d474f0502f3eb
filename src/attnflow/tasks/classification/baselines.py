"""Baselines of the classification tasks, fitted on the network's training split.

Text: TF-IDF + logistic regression (scikit-learn), what a practitioner
reaches for first: word uni- and bigrams (or character 2- to 5-grams within
words, robust to spelling and inflection) with sublinear term frequency,
and the regularization C chosen by stratified cross-validation on the
training split only. Series: the two bars of the time-series
classification literature, from aeon: 1-nearest-neighbour with Euclidean
distance and MiniRocket (random convolution features + ridge regression).
Both tasks also train the same network without attention
(`attention_free_twin`, or the task's `no_attention` baseline).
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from attnflow._validation import fail

DEFAULT_CS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


def tfidf_logistic_regression(texts: Sequence[str], labels, *, ngram_range=(1, 2),
                              analyzer: str = "word", min_df: int = 2, cs: Sequence[float] = DEFAULT_CS,
                              cv: int = 5, max_features: int | None = 200_000, seed: int = 0):
    """Fits TF-IDF + logistic regression on training texts.

    Args:
        texts: N training texts.
        labels: N integer class indices (two or more classes).
        ngram_range: n-grams of the TF-IDF (default (1, 2)).
        analyzer: "word" (default) or "char_wb" (character n-grams inside
            word boundaries, e.g. ngram_range=(2, 5)).
        min_df: drop terms found in fewer documents (default 2; lowered to 1
            for tiny training sets).
        cs: candidate inverse regularization strengths C, chosen by
            cross-validated accuracy (default 0.1 .. 30); one value skips the
            search.
        cv: cross-validation folds, reduced to the smallest class size when
            that is smaller (default 5).
        max_features: vocabulary cap of the TF-IDF (default 200000).
        seed: seed of the fold shuffling.

    Returns:
        A fitted scikit-learn `Pipeline` (`tfidf`, `logreg`); its `predict`
        takes a list of strings and returns class indices, `predict_proba`
        probabilities [N, C].

    Example:
        >>> baseline = tfidf_logistic_regression(train.texts, train.labels)
        >>> accuracy = (baseline.predict(test.texts) == test.labels).mean()
    """
    from threadpoolctl import threadpool_limits

    texts = [str(text) for text in texts]
    labels = np.asarray(labels)
    if len(texts) != len(labels):
        fail("as many labels as texts", texts=len(texts), labels=len(labels))
    counts = np.unique(labels, return_counts=True)[1]
    if len(counts) < 2:
        fail("at least 2 classes in the training labels", classes=len(counts))
    if not cs or any(c <= 0 for c in cs):
        fail("cs to be positive floats", cs=tuple(cs))
    with threadpool_limits(limits=1):
        # One BLAS thread: the solver's vectors are small, and OpenBLAS
        # threads spinning on a busy 2-core machine made each fit 20-40x slower.
        return _fit(texts, labels, counts, ngram_range, analyzer, min_df, cs, cv, max_features, seed)


def _fit(texts, labels, counts, ngram_range, analyzer, min_df, cs, cv, max_features, seed):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import Pipeline

    tfidf = TfidfVectorizer(ngram_range=tuple(ngram_range), analyzer=analyzer,
                            min_df=min_df if len(texts) >= 50 else 1,
                            sublinear_tf=True, max_features=max_features)
    features = tfidf.fit_transform(texts)  # [N, terms], sparse
    best_c, folds = float(cs[0]), min(cv, int(counts.min()))
    if len(cs) > 1 and folds >= 2:
        # The vocabulary is fitted once on all training texts: choosing C this
        # way costs seconds instead of refitting the TF-IDF for every fold.
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        scores = [cross_val_score(LogisticRegression(C=float(c), max_iter=2000), features, labels,
                                  cv=splitter, scoring="accuracy").mean() for c in cs]
        best_c = float(cs[int(np.argmax(scores))])
    logreg = LogisticRegression(C=best_c, max_iter=2000).fit(features, labels)
    return Pipeline([("tfidf", tfidf), ("logreg", logreg)])


def series_baselines(train_x, train_labels, test_x, names: Sequence[str], seed: int = 0) -> dict:
    """Predicted class indices on `test_x` of aeon's series classifiers.

    Args:
        train_x: float [N, F, T] training series, standardized, NaN-free
            (padding and missing steps as 0, the standardized mean).
        train_labels: N class indices.
        test_x: float [M, F, T], prepared the same way (same T).
        names: among "1nn_euclidean" (1-nearest-neighbour, Euclidean
            distance over every channel and step) and "minirocket"
            (aeon's MiniRocketClassifier: 10,000 random-convolution
            features and a ridge classifier with cross-validated alpha).
        seed: MiniRocket's random_state.

    Returns:
        {name: int64 [M]} in the order of `names`.
    """
    from threadpoolctl import threadpool_limits

    train_x, test_x = np.asarray(train_x, np.float64), np.asarray(test_x, np.float64)
    if train_x.shape[1:] != test_x.shape[1:]:
        fail("training and test series of the same [F, T]", train=train_x.shape, test=test_x.shape)
    if train_x.shape[2] < MINIROCKET_MIN_LENGTH:  # MiniRocket's kernels span 9 steps
        extra = MINIROCKET_MIN_LENGTH - train_x.shape[2]
        train_x, test_x = (np.pad(x, ((0, 0), (0, 0), (0, extra))) for x in (train_x, test_x))
    predictions = {}
    with threadpool_limits(limits=1), warnings.catch_warnings():  # as for TF-IDF: BLAS threads only spin
        # aeon's Euclidean distance warns of a numba uint64 -> int64 cast of its loop
        # indices (NumbaTypeSafetyWarning), nothing the user's data could change
        warnings.filterwarnings("ignore", message=".*unsafe cast from uint64 to int64")
        for name in names:
            predictions[name] = np.asarray(_series_classifier(name, seed).fit(
                train_x, np.asarray(train_labels)).predict(test_x), dtype=np.int64)
    return predictions


MINIROCKET_MIN_LENGTH = 9
SERIES_BASELINES = ("1nn_euclidean", "minirocket")


def _series_classifier(name: str, seed: int):
    if name == "1nn_euclidean":
        from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

        return KNeighborsTimeSeriesClassifier(n_neighbors=1, distance="euclidean")
    if name == "minirocket":
        from aeon.classification.convolution_based import MiniRocketClassifier

        return MiniRocketClassifier(random_state=seed, n_jobs=1)
    fail(f"a series baseline among {SERIES_BASELINES}", name=name)


def attention_free_twin(model):
    """The same classifier with attention="none" (the final RNN state alone), untrained.

    Args:
        model: an `attnflow.models.RNNWithAttention`.

    Returns:
        A new model with the same configuration but attention="none".
    """
    from attnflow.models import RNNWithAttention

    if not isinstance(model, RNNWithAttention):
        fail("an attnflow.models.RNNWithAttention", model=type(model).__name__)
    config = {**model.get_config(), "attention": "none"}
    config["name"] = f"{config.get('name', 'rnn_with_attention')}_no_attention"
    return RNNWithAttention.from_config(config)
