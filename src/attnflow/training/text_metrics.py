"""Scores of generated text: exact match, character error rate, chrF, BLEU."""

from __future__ import annotations

from attnflow._validation import fail


def character_error_rate(predictions: list[str], references: list[str]) -> float:
    """Total Levenshtein distance (rapidfuzz) over total reference length (0 = perfect)."""
    from rapidfuzz.distance import Levenshtein

    total = sum(len(r) for r in references)
    # Levenshtein over code points, as Python iterates a str: "é" written as
    # "e" + U+0301 is two characters.
    errors = sum(Levenshtein.distance(p, r) for p, r in zip(predictions, references))
    return errors / max(total, 1)


def text_metrics(predictions: list[str], references: list[str],
                 bleu_tokenize: str = "13a") -> dict[str, float]:
    """exact_match and cer in [0, 1]; chrf and bleu (sacrebleu) in [0, 100].

    Args:
        predictions, references: equally long lists of strings.
        bleu_tokenize: sacrebleu tokenizer for BLEU ("13a" for words, "char"
            for characters, as for dates).
    """
    if len(predictions) != len(references) or not references:
        fail("as many predictions as references, at least one",
             predictions=len(predictions), references=len(references))
    import sacrebleu

    exact = sum(p == r for p, r in zip(predictions, references)) / len(references)
    chrf = sacrebleu.corpus_chrf(predictions, [references]).score
    bleu = sacrebleu.corpus_bleu(predictions, [references], tokenize=bleu_tokenize).score
    return {"exact_match": round(exact, 6),
            "cer": round(character_error_rate(predictions, references), 6),
            "chrf": round(chrf, 4), "bleu": round(bleu, 4)}
