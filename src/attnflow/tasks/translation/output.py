"""What the seq2seq tasks show: sample translations, heatmaps, predictions."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from attnflow._validation import check_positive_int, fail
from attnflow.data.pairs_file import is_table, read_sources
from attnflow.explain.heatmap import plot_attention, terminal_heatmap

TERMINAL_HEATMAPS = 2


def _has_attention(translation) -> bool:
    return translation.attention.size > 0 and bool(np.any(translation.attention))


def write_heatmaps(model, sources: list[str], directory: Path) -> list[Path]:
    """One PNG per source: output characters x source characters."""
    translations = model.translate(sources) if sources else []
    if not any(_has_attention(t) for t in translations):
        return []  # attention "none": nothing to draw
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, (source, translation) in enumerate(zip(sources, translations), 1):
        if not translation.text:
            continue  # nothing generated: no rows to draw
        paths.append(plot_attention(translation.attention, translation.source_tokens,
                                    list(translation.text), directory / f"sample_{number}.png",
                                    title=f"{source} -> {translation.text}"))
    return paths


def print_samples(model, pairs: list[tuple[str, str]], console) -> None:
    """A table of sample translations, then the attention of the first few."""
    from rich.table import Table

    if not pairs:
        return
    sources = [source for source, _ in pairs]
    translations = model.translate(sources)
    table = Table(title="sample translations (greedy)")
    for column in ("input", "output", "expected", ""):
        table.add_column(column)
    for (source, expected), translation in zip(pairs, translations):
        table.add_row(source, translation.text, expected,
                      "[green]✓[/green]" if translation.text == expected else "[red]✗[/red]")
    console.print(table)
    for source, translation in list(zip(sources, translations))[:TERMINAL_HEATMAPS]:
        if _has_attention(translation):
            console.print(f"\nattention of {source!r} -> {translation.text!r}:", highlight=False)
            console.print(terminal_heatmap(translation.attention, translation.source_tokens,
                                           list(translation.text)), highlight=False)


def check_inputs(inputs: list[str]) -> None:
    if not inputs:
        fail("at least one text to translate", inputs=inputs)
    for text in inputs:
        if not text.strip():
            fail("non-empty texts to translate", text=text)


def warn_of_unseen_characters(model, inputs: list[str]) -> None:
    """One warning naming the characters of `inputs` that training never saw (the model
    reads each as unknown, so its translation is a guess there)."""
    unseen = model.unseen_characters(inputs)
    if unseen:
        shown = ", ".join(repr(c) for c in unseen[:10]) + (", ..." if len(unseen) > 10 else "")
        warnings.warn(f"{len(unseen)} character{'s' * (len(unseen) > 1)} of the inputs never appeared "
                      f"in the training sources and {'are' if len(unseen) > 1 else 'is'} read as unknown: "
                      f"{shown}", stacklevel=3)


def read_inputs(path, source_column: str | None = None) -> list[str]:
    """`predict --data FILE`: the sources of a pairs file (.csv, .tsv, .tab, or a first
    line with a tab: the source column, as training reads it), else one input per
    non-empty line of a UTF-8 text file."""
    path = Path(path)
    if not path.is_file():
        fail("an existing file of inputs, one per line", data=str(path))
    if is_table(path):
        return read_sources(path, source_column)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        fail("a UTF-8 text file", data=f"{path} (byte at offset {error.start} is not UTF-8)")
    return [line.strip() for line in text.splitlines() if line.strip()]


def predict(load_model, inputs: list[str], args: dict, options) -> None:
    """`attnflow predict RUN text...`: one translation per line on stdout (or --output)."""
    if args.get("data"):
        inputs = list(inputs) + read_inputs(args["data"], getattr(options, "source_column", None))
    check_inputs(inputs)
    beam = args.get("beam", 1)
    check_positive_int("beam", beam)
    alpha = args.get("length_penalty")
    alpha = options.length_penalty if alpha is None else alpha
    if args.get("saved_model"):
        if beam != 1:
            fail("--beam 1 with --saved-model (the SavedModel decodes greedily)", beam=beam)
        texts = serve_saved_model(Path(args["run"]) / "saved_model", inputs)
        translations = None
    else:
        model = load_model()
        warn_of_unseen_characters(model, inputs)
        translations = model.translate(inputs, beam_width=beam, length_penalty=alpha)
        texts = [t.text for t in translations]
    if args.get("output"):
        Path(args["output"]).write_text("".join(f"{t}\n" for t in texts), encoding="utf-8")
        print(f"{len(texts)} translation{'s' * (len(texts) != 1)} written to {args['output']}, one per line")
    for number, text in enumerate(texts):
        if not args.get("output"):
            print(text)
        translation = translations[number] if translations else None
        if args.get("show_attention") and translation is not None and _has_attention(translation):
            print(terminal_heatmap(translation.attention, translation.source_tokens,
                                   list(translation.text)))
            print()


def serve_saved_model(path, inputs: list[str]) -> list[str]:
    """Translations through the exported SavedModel's "serve" signature."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))  # keep a reference while it runs
    return [text.decode("utf-8") for text in loaded.serve(tf.constant(inputs)).numpy()]
