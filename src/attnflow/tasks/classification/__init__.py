"""Classification tasks: `text` (reviews, the user's texts), `sequence` (multivariate series) and
`image` (a Vision Transformer on images).

All share task.py (splits, training, scores, baselines, predict); text and sequence share
classifier.py (their networks), image has its own image_*.py modules.
"""
