"""``babyskin diary ...``: the spot diary from the command line (see :mod:`babyskin.store`)."""

from __future__ import annotations

import typer

diary_app = typer.Typer(help="Follow spots over time in a diary.", no_args_is_help=True)
