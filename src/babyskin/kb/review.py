"""The review workflow: draft -> submitted -> under_review -> approved (or back to draft).

Moves are checked against :data:`TRANSITIONS`; an illegal move raises an :class:`InputError` naming
the current status and the moves allowed from it. A move rewrites only the ``review:`` block of the
condition's YAML file (comments and the rest of the file are kept), stamps the date and appends the
event to ``history``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from babyskin.errors import InputError
from babyskin.kb.schema import Review, ReviewEvent, ReviewStatus

S = ReviewStatus
TRANSITIONS: dict[str, dict[ReviewStatus, ReviewStatus]] = {
    "submit": {S.draft: S.submitted},
    "start": {S.submitted: S.under_review},
    "approve": {S.under_review: S.approved},
    "reject": {S.submitted: S.draft, S.under_review: S.draft, S.approved: S.draft},
}
STALE_AFTER_DAYS = 365


def move(review: Review, action: str, reviewer: str, note: str | None, today: dt.date) -> Review:
    """The review block after ``action`` (pure)."""
    if action not in TRANSITIONS:
        raise InputError(f"unknown review action '{action}'; use one of: {', '.join(TRANSITIONS)}")
    if not reviewer.strip():
        raise InputError("--reviewer is required: name the person making this move")
    allowed = TRANSITIONS[action]
    if review.status not in allowed:
        possible = [a for a, moves in TRANSITIONS.items() if review.status in moves]
        raise InputError(
            f"cannot {action} an entry that is '{review.status.value}'; from"
            f" '{review.status.value}' you can: {', '.join(possible) or 'nothing'}"
        )
    if action == "reject" and not note:
        raise InputError("a rejection needs --note saying what must change")
    target = allowed[review.status]
    event = ReviewEvent(on=today, action=action, from_status=review.status,  # type: ignore[arg-type]
                        to_status=target, by=reviewer, note=note)
    approved = target is S.approved
    return Review(
        status=target,
        reviewer=reviewer if approved or action == "start" else review.reviewer,
        reviewed_on=today if approved else review.reviewed_on,
        updated_on=today,
        history=[*review.history, event],
    )


def review_block(review: Review) -> str:
    data = review.model_dump(mode="json", exclude_none=True)
    if not data.get("history"):
        data.pop("history", None)
    import yaml  # only when a review is written: answers need no YAML

    return yaml.safe_dump({"review": data}, sort_keys=False, allow_unicode=True, width=100)


def write_review(path: Path, review: Review) -> None:
    """Replace the top-level ``review:`` block of ``path`` (it may be anywhere in the file)."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(r"^review:.*?(?=^\S|\Z)", re.MULTILINE | re.DOTALL)
    if not pattern.search(text):
        raise InputError(f"{path}: no top-level 'review:' block to update")
    new = pattern.sub(lambda _m: review_block(review), text, count=1)
    path.write_text(new, encoding="utf-8")


def is_stale(review: Review, today: dt.date) -> bool:
    last = review.reviewed_on or review.updated_on
    return (today - last).days > STALE_AFTER_DAYS
