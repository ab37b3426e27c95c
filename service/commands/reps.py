"""`momentcast reps import FILE.csv --org ORG`: add (or update) many reps at once."""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from service.commands._common import command_unit, data_dir_option, load_settings, open_runtime
from service.orgs import repository as orgs_repository
from service.reps import service as reps_service


@click.group("reps")
def reps_group() -> None:
    """Manage reps."""


@reps_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_slug", required=True, help="Organisation slug.")
@click.option("--show-links", is_flag=True, help="Print every rep's personal link.")
@data_dir_option
def import_reps(file: Path, org_slug: str, show_links: bool, data_dir: Path | None) -> None:
    """Import FILE (CSV: name, team, phone, external_id; UTF-8 or GBK)."""
    runtime = open_runtime(load_settings(data_dir=data_dir))
    with command_unit(runtime) as session:
        org = orgs_repository.get_org_by_slug(session, org_slug)
        if org is None:
            raise click.ClickException(
                f"no organisation {org_slug!r}; create it with `momentcast admin create`"
            )
        with tqdm(desc="importing", unit="rep", leave=False) as bar:
            reps, created = reps_service.import_csv(
                session,
                org_id=org.id,
                data=file.read_bytes(),
                progress=lambda done: bar.update(done - bar.n),
            )
        links = [(rep.name, reps_service.personal_url(runtime, rep)) for rep in reps]
    click.echo(
        f"imported {len(reps)} reps into {org_slug}: {created} new, {len(reps) - created} updated"
    )
    for name, url in links if show_links else ():
        click.echo(f"  {name}: {url}")
