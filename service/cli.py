"""The `momentcast` command: one click group; each command lives in service/commands/."""

from __future__ import annotations

import click

from service.commands.admin import admin_group
from service.commands.reps import reps_group
from service.commands.run import run_command
from service.commands.vary_image import vary_image_command
from service.commands.vary_text import vary_text_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """momentcast: a slightly different copy of every post for every rep."""


main.add_command(vary_text_command)
main.add_command(vary_image_command)
main.add_command(admin_group)
main.add_command(reps_group)
main.add_command(run_command)
