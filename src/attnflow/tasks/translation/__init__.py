"""Translation tasks: `dates` (generated dates -> ISO 8601) and `translate` (the user's pairs).

Both are one encoder-decoder task (seq2seq.py) with their own data; output.py prints and draws translations.
"""
