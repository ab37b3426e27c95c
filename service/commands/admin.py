"""`momentcast admin create`: an organisation's admin (the organisation is created if new)."""

from __future__ import annotations

from pathlib import Path

import click

from service.commands._common import command_unit, data_dir_option, load_settings, open_runtime
from service.models import Role
from service.orgs import service as orgs_service
from service.rewrite import service as rewrite_service


@click.group("admin")
def admin_group() -> None:
    """Manage staff accounts."""


@admin_group.command("create")
@click.option("--org", "org_slug", required=True, help="Organisation slug, e.g. acme.")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option(
    "--role", type=click.Choice([role.value for role in Role]), default="admin", show_default=True
)
@data_dir_option
def create_admin(
    org_slug: str, email: str, password: str, role: str, data_dir: Path | None
) -> None:
    """Create a staff account (an admin by default) in ORG."""
    runtime = open_runtime(load_settings(data_dir=data_dir))
    with command_unit(runtime) as session:
        org = orgs_service.ensure_org(session, slug=org_slug)
        staff = orgs_service.create_staff(
            session, org_id=org.id, email=email, password=password, role=Role(role)
        )
        click.echo(f"created {staff.role} {staff.email} in organisation {org.slug}")
    click.echo(f"log in at {runtime.settings.base_url}/admin/login")


@admin_group.command("rotate-secrets")
@data_dir_option
def rotate_secrets(data_dir: Path | None) -> None:
    """Re-encrypt stored provider keys under MOMENTCAST_SECRET_KEY (run after rotating it,
    with the old key in MOMENTCAST_PREVIOUS_SECRET_KEYS, before dropping the old key)."""
    runtime = open_runtime(load_settings(data_dir=data_dir))
    with command_unit(runtime) as session:
        count = rewrite_service.rotate_keys(session, runtime.settings)
    click.echo(f"re-encrypted {count} stored provider key(s) under the current secret key")
