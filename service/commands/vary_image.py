"""`momentcast vary-image`: write every rep's copy of a master image, plus a report."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click
from tqdm import tqdm

from variation import VariationError
from variation.image import (
    ImageOptions,
    RepBadge,
    configure_process,
    decode_image,
    encode_image,
    issue_image_copies,
)


@click.command("vary-image")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reps", type=click.IntRange(1, 100_000), default=10, show_default=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory for 0001.jpg, 0002.jpg, … and report.json.",
)
@click.option(
    "--team-size",
    type=click.IntRange(1, 100_000),
    default=None,
    help="Consecutive groups of this many reps form a team (default: one team).",
)
@click.option("--badge-name", default=None, help="Rep name shown on a corner badge.")
@click.option("--badge-url", default=None, help="URL shown as a QR code on the badge.")
@click.option("--seed-prefix", default="preview", show_default=True)
@click.option("--first-frame", is_flag=True, help="Accept an animated image's first frame.")
def vary_image_command(
    file: Path,
    reps: int,
    out_dir: Path,
    team_size: int | None,
    badge_name: str | None,
    badge_url: str | None,
    seed_prefix: str,
    first_frame: bool,
) -> None:
    """Write REPS copies of the image in FILE, in rep order, and DIR/report.json."""
    configure_process()
    try:
        decoded = decode_image(file.read_bytes(), allow_animated_first_frame=first_frame)
        badge = RepBadge(name=badge_name, qr_url=badge_url) if badge_name or badge_url else None
        options = ImageOptions(rep_badge=badge)
    except (VariationError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    keys = [f"rep-{n:04d}" for n in range(1, reps + 1)]
    teams = [f"team-{i // team_size + 1}" for i in range(reps)] if team_size else None
    fmt, suffix = ("PNG", "png") if decoded.needs_png else ("JPEG", "jpg")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tqdm(total=reps, unit="copy", disable=reps < 20, file=sys.stderr) as bar:
        try:
            copies = issue_image_copies(
                decoded.image,
                keys,
                seed_prefix=seed_prefix,
                teams=teams,
                options=options,
                progress=lambda done: bar.update(done - bar.n),
            )
        except VariationError as exc:
            raise click.ClickException(str(exc)) from None
    records = []
    for n, (key, copy) in enumerate(zip(keys, copies, strict=True), start=1):
        name = f"{n:04d}.{suffix}"
        (out_dir / name).write_bytes(encode_image(copy.image, fmt=fmt))
        records.append(
            {
                "rep": key,
                "file": name,
                "team": teams[n - 1] if teams else None,
                "params": dataclasses.asdict(copy.params),
                "hashes": copy.hashes.as_hex(),
                "fidelity": dataclasses.asdict(copy.fidelity),
                "attempts": copy.attempts,
                "clears_batch": copy.clears_batch,
                "nearest": dict(zip(("phash", "dhash", "pdq"), copy.nearest, strict=True)),
            }
        )
    report = {
        "source": str(file),
        "format": decoded.source_format,
        "size": list(decoded.image.size),
        "copies": records,
    }
    (out_dir / "report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    unclear = sum(not copy.clears_batch for copy in copies)
    click.echo(
        f"wrote {reps} copies to {out_dir}"
        + (f" ({unclear} could not clear their team)" if unclear else ""),
        err=True,
    )
