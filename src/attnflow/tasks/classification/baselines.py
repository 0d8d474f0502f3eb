"""Baselines of the classification tasks, fitted on the network's training split.

Text: TF-IDF + logistic regression (scikit-learn), what a practitioner
reaches for first: word uni- and bigrams with sublinear term frequency, and
the regularization C chosen by stratified cross-validation on the training
split only. Sequences: the same network without attention, built with
`attention_free_twin`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from attnflow._validation import fail

DEFAULT_CS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


def tfidf_logistic_regression(texts: Sequence[str], labels, *, ngram_range=(1, 2),
                              min_df: int = 2, cs: Sequence[float] = DEFAULT_CS,
                              cv: int = 5, max_features: int | None = 200_000, seed: int = 0):
    """Fits TF-IDF + logistic regression on training texts.

    Args:
        texts: N training texts.
        labels: N integer class indices (two or more classes).
        ngram_range: word n-grams of the TF-IDF (default (1, 2)).
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
        return _fit(texts, labels, counts, ngram_range, min_df, cs, cv, max_features, seed)


def _fit(texts, labels, counts, ngram_range, min_df, cs, cv, max_features, seed):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import Pipeline

    tfidf = TfidfVectorizer(ngram_range=tuple(ngram_range), min_df=min_df if len(texts) >= 50 else 1,
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
