"""`momentcast vary-text`: preview every rep's copy of a master post."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from variation import VariationError
from variation.text import (
    FRAME_LINES,
    PARTICLE_LEVELS,
    TextVariant,
    Voice,
    count_bodies,
    fold_risk,
    issue_text_copies,
    parse_sentence_spintax,
)


@click.command("vary-text")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reps", type=click.IntRange(1, 100_000), default=10, show_default=True)
@click.option(
    "--frame-lines",
    type=click.Choice(FRAME_LINES),
    default="closer",
    show_default=True,
    help="Added lines: none, a closer, an opener after the first line, or anywhere.",
)
@click.option(
    "--particles",
    type=click.Choice(PARTICLE_LEVELS),
    default="light",
    show_default=True,
    help="Sentence-final particles: none, at most one per copy, or as many as fit.",
)
@click.option("--protect", "terms", multiple=True, help="Product or brand name to keep as is.")
@click.option("--seed-prefix", default="preview", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl", show_default=True
)
def vary_text_command(
    file: Path,
    reps: int,
    frame_lines: str,
    particles: str,
    terms: tuple[str, ...],
    seed_prefix: str,
    fmt: str,
) -> None:
    """Print REPS copies of the post in FILE (UTF-8), one per rep, in rep order.

    Sentence alternatives are written as spintax in FILE: `{句子一|句子一的改写}`.
    """
    logging.getLogger("jieba").setLevel(logging.WARNING)
    try:
        master = file.read_text(encoding="utf-8").strip("\n")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 text: {exc.reason}") from None
    voice = Voice(frame_lines=frame_lines, particles=particles)  # type: ignore[arg-type]
    risk = fold_risk(master)
    if risk.at_risk:
        click.echo(f"fold risk: {'; '.join(risk.reasons)}", err=True)
    keys = [f"rep-{n:04d}" for n in range(1, reps + 1)]
    with tqdm(total=reps, unit="copy", disable=reps < 50, file=sys.stderr) as bar:
        try:
            bodies = count_bodies(parse_sentence_spintax(master, protected=terms))
            copies = issue_text_copies(
                master,
                keys,
                seed_prefix=seed_prefix,
                protected=terms,
                voice=voice,
                progress=lambda done: bar.update(done - bar.n),
            )
        except VariationError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"distinct bodies from the alternatives: {bodies:,}", err=True)
    if not all(c.clears_batch for c in copies):
        missed = sum(not c.clears_batch for c in copies)
        click.echo(f"{missed} of {reps} copies do not clear the batch rule", err=True)
    for key, copy in zip(keys, copies, strict=True):
        if fmt == "text":
            click.echo(f"----- {key} -----\n{copy.text}")
        else:
            click.echo(json.dumps(_record(key, copy), ensure_ascii=False))


def _record(key: str, copy: TextVariant) -> dict[str, Any]:
    risk = copy.fold_risk()
    return {
        "rep": key,
        "text": copy.text,
        "body": copy.body,
        "attempts": copy.attempts,
        "clears_batch": copy.clears_batch,
        "edits": [[e.kind, e.before, e.after] for e in copy.edits],
        "fold_risk": {
            "at_risk": risk.at_risk,
            "reasons": list(risk.reasons),
            "body": risk.body,
            "first_comment": risk.first_comment,
        },
    }
