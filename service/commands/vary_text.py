"""`momentcast vary-text`: preview every rep's copy of a master post."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click
from tqdm import tqdm

from variation import VariationError
from variation.text import fold_risk, issue_text_copies


@click.command("vary-text")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reps", type=click.IntRange(1, 100_000), default=10, show_default=True)
@click.option("--protect", "terms", multiple=True, help="Product or brand name to keep as is.")
@click.option("--seed-prefix", default="preview", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl", show_default=True
)
def vary_text_command(
    file: Path, reps: int, terms: tuple[str, ...], seed_prefix: str, fmt: str
) -> None:
    """Print REPS copies of the post in FILE (UTF-8), one per rep, in rep order."""
    logging.getLogger("jieba").setLevel(logging.WARNING)
    try:
        master = file.read_text(encoding="utf-8").strip("\n")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 text: {exc.reason}") from None
    risk = fold_risk(master)
    if risk.at_risk:
        click.echo(f"fold risk: {'; '.join(risk.reasons)}", err=True)
    keys = [f"rep-{n:04d}" for n in range(1, reps + 1)]
    with tqdm(total=reps, unit="copy", disable=reps < 50, file=sys.stderr) as bar:
        try:
            copies = issue_text_copies(
                master,
                keys,
                seed_prefix=seed_prefix,
                protected=terms,
                progress=lambda done: bar.update(done - bar.n),
            )
        except VariationError as exc:
            raise click.ClickException(str(exc)) from None
    for key, copy in zip(keys, copies, strict=True):
        if fmt == "text":
            click.echo(f"----- {key} -----\n{copy.text}")
        else:
            record = {
                "rep": key,
                "text": copy.text,
                "attempts": copy.attempts,
                "clears_batch": copy.clears_batch,
                "edits": [[e.kind, e.before, e.after] for e in copy.edits],
            }
            click.echo(json.dumps(record, ensure_ascii=False))
