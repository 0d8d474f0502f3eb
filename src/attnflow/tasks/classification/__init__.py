"""Classification tasks: `text` (reviews, the user's texts) and `sequence` (multivariate series).

Both share task.py (splits, training, scores, baselines, predict) and classifier.py (the networks).
"""
