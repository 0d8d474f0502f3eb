"""The `forecast` task (task.py): an attention forecaster over a series' past, with classical baselines.

data.py reads and windows the series, model.py scales and serves, output.py/predict.py write forecasts.
"""
