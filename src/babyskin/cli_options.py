"""Typer options shared by commands: ``--json`` and ``--audience``, and the structured findings of
``assess`` and ``diary add``."""

from __future__ import annotations

from typing import Annotated

import typer

from babyskin.models import Audience

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
AudienceOpt = Annotated[Audience, typer.Option("--audience", "-a", help="Who the answer is for.")]

Age = Annotated[str | None, typer.Option("--age", help="Age: 10d, 3w, 5m, 1y.")]
Where = Annotated[str | None, typer.Option("--where", help="Where, comma-separated: nose,cheeks.")]
Lesion = Annotated[str | None, typer.Option("--lesion", help="What they look like: papule,pustule.")]
Color = Annotated[str | None, typer.Option("--color", help="Colours: white,red.")]
Size = Annotated[str | None, typer.Option("--size", help="pinpoint, small, medium or large.")]
Count = Annotated[str | None, typer.Option("--count", help="single, few or many.")]
Present = Annotated[str | None, typer.Option("--present", help="Other signs present: fever,itchy.")]
Absent = Annotated[str | None, typer.Option("--absent", help="Signs checked and absent: fever.")]
Onset = Annotated[str | None, typer.Option("--onset", help="Age when the spots appeared: 2w.")]
Duration = Annotated[str | None, typer.Option("--duration", help="How long they have been there: 5d.")]
Gestation = Annotated[int | None, typer.Option("--gestation", help="Weeks of gestation at birth.")]
FeverDays = Annotated[int | None, typer.Option("--fever-days", help="Days the fever has lasted so far.")]
Temperature = Annotated[float | None, typer.Option("--temperature", help="Highest temperature, in C.")]
