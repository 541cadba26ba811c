"""Where the command line writes: the two consoles, errors with their exit codes, and JSON."""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import typer
from rich.console import Console

from babyskin.errors import BabyskinError, InputError, NotFound

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(error: BabyskinError) -> NoReturn:
    """Print ``error`` (and each of its problems) and exit: 2 for bad input, 1 otherwise."""
    code = 2 if isinstance(error, InputError | NotFound) else 1
    err.print(f"[bold red]error:[/] {error}", markup=True, highlight=False)
    for problem in error.problems[1:] if len(error.problems) > 1 else []:
        err.print(f"  - {problem}", markup=False)
    raise typer.Exit(code)


def emit_json(data: object, *, one_line: bool = False) -> None:
    indent = None if one_line else 2
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=indent, default=str) + "\n")
