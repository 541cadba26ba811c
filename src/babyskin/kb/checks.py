"""Cross-file checks of a loaded knowledge base; each returns every problem it finds.

Problems read ``path:record:field: problem`` so that ``babyskin kb lint`` can point a reviewer at
the exact place. Schema problems (unknown keys, wrong types) are caught earlier by the loader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from babyskin.kb.loader import KnowledgeBase

from babyskin.kb.schema import Comparison, Condition, Statement, Verdict
from babyskin.text import nearest

ADVICE_FIELDS = ("summary", "appearance", "cause", "home_care", "donts", "see_doctor", "management",
                 "faqs", "course", "contagious")


def check_kb(kb: KnowledgeBase, *, full: bool = False) -> list[str]:
    problems: list[str] = []
    problems += _check_findings(kb)
    problems += _check_refs(kb)
    problems += _check_red_flags(kb)
    problems += _check_conditions(kb, full=full)
    problems += _check_claims(kb)
    problems += check_comparisons(kb, kb.comparisons.values(), kb.root / "comparisons.yaml")
    problems += _check_action_wording(kb)
    problems += _check_topics(kb)
    problems += _check_urls(kb)
    return problems


# Words that tell a parent a slower action than the level they sit under (hazard: an emergency
# answer saying "book a visit"). An emergency rule or condition never says "today" or "GP"; an urgent
# one never says "within days" or "book".
TOO_SLOW: dict[str, re.Pattern[str]] = {
    "emergency": re.compile(r"\b(same day|today|GP|within (a few|the next few) days|book|health visitor"
                            r"|next few days|this week)\b", re.IGNORECASE),
    "urgent": re.compile(r"\b(within (a few|the next few) days|book a|next few days|this week"
                         r"|routine appointment)\b", re.IGNORECASE),
}


def _check_action_wording(kb: KnowledgeBase) -> list[str]:
    """Every parent action matches the level it sits under: red flags' parent text, and an emergency
    or urgent condition's parent summary and 'see a doctor' statements."""
    problems = []
    for flag in kb.red_flags.values():
        pattern = TOO_SLOW.get(flag.triage.value)
        if pattern and (hit := pattern.search(flag.parent_text)):
            problems.append(f"{kb.root / 'red_flags.yaml'}:{flag.id}:parent_text: says '{hit.group(0)}' under"
                            f" '{flag.triage.value}' (expected wording for {flag.triage.value} action)")
    for cond in kb.conditions.values():
        pattern = TOO_SLOW.get(cond.triage.value)
        if pattern is None:
            continue
        texts = [("summary.parent", cond.summary.parent.text)]
        if cond.triage.value == "emergency":  # an urgent condition may give slower advice for milder signs
            for name in ("home_care", "donts", "see_doctor", "faqs"):
                texts += [(f"{name}[{i}]", s.text) for i, s in enumerate(getattr(cond, name))]
        for field, text in texts:
            if hit := pattern.search(text):
                path = kb.condition_files.get(cond.id, kb.root)
                problems.append(f"{path}:{cond.id}:{field}: says '{hit.group(0)}' under"
                                f" '{cond.triage.value}' (expected wording for {cond.triage.value} action)")
    return problems


def _check_urls(kb: KnowledgeBase) -> list[str]:
    """Reference links are shown to people as links: only http(s) addresses, never ``javascript:``,
    ``data:`` or ``file:`` (issue 17)."""
    from urllib.parse import urlsplit

    problems = []
    for key, ref in kb.references.items():
        if ref.url is None:
            continue
        parts = urlsplit(ref.url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            problems.append(f"{kb.root / 'references.yaml'}:{key}:url: '{ref.url[:80]}' is not an http(s)"
                            " address; use a https:// link to the publication")
    return problems


def _unknown_finding(kb: KnowledgeBase, word: str) -> str:
    hint = nearest(word, kb.findings)
    return f"unknown finding '{word}'" + (f" (did you mean: {', '.join(hint)}?)" if hint else "")


def _check_findings(kb: KnowledgeBase) -> list[str]:
    problems = []
    path = kb.root / "findings.yaml"
    seen: dict[str, str] = {}
    for finding in kb.findings.values():
        for synonym in finding.synonyms:
            key = synonym.lower().strip()
            if key in seen and seen[key] != finding.id:
                problems.append(
                    f"{path}:{finding.id}:synonyms: '{synonym}' collides with finding '{seen[key]}'"
                )
            seen[key] = finding.id
    return problems


def iter_statements(obj: object, where: str = "") -> Iterator[tuple[str, str, list[str]]]:
    """Every (field path, text, refs) inside a record, in file order."""
    if isinstance(obj, Statement):
        yield where, obj.text, obj.refs
    elif isinstance(obj, BaseModel):
        refs = getattr(obj, "refs", None)
        text = getattr(obj, "text", None)
        if isinstance(refs, list) and isinstance(text, str):
            yield where, text, refs
            return
        for name in type(obj).model_fields:
            yield from iter_statements(getattr(obj, name), f"{where}.{name}" if where else name)
    elif isinstance(obj, list):
        for index, item in enumerate(obj):
            yield from iter_statements(item, f"{where}[{index}]")
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield from iter_statements(item, f"{where}.{key}")


def _check_refs(kb: KnowledgeBase) -> list[str]:
    problems = []

    def check(path: Path, record: str, field: str, refs: list[str]) -> None:
        for key in refs:
            if key not in kb.references:
                hint = nearest(key, kb.references)
                problems.append(
                    f"{path}:{record}:{field}: unknown reference key '{key}'"
                    + (f" (did you mean: {', '.join(hint)}?)" if hint else "")
                )

    for cond in kb.conditions.values():
        path = kb.condition_files.get(cond.id, kb.root / "conditions")
        check(path, cond.id, "findings.refs", cond.findings.refs)
        for field, _text, refs in iter_statements(cond):
            check(path, cond.id, field, refs)
    for flag in kb.red_flags.values():
        check(kb.root / "red_flags.yaml", flag.id, "refs", flag.refs)
    for finding in kb.findings.values():
        if finding.help:
            check(kb.root / "findings.yaml", finding.id, "help.refs", finding.help.refs)
    for claim in kb.claims.values():
        check(kb.root / "claims.yaml", claim.id, "refs", claim.refs)
        check(kb.root / "claims.yaml", claim.id, "seeds", claim.seeds)
    return problems


def check_comparisons(kb: KnowledgeBase, comparisons: Iterable[Comparison], path: Path,
                      *, known_ids: Iterable[str] = ()) -> list[str]:
    """Each compared pair names known conditions (or ``known_ids``) and cites known references."""
    problems = []
    allowed = set(kb.conditions) | set(known_ids)
    for comp in comparisons:
        for cid in comp.ids:
            if cid not in allowed:
                hint = nearest(cid, kb.conditions)
                problems.append(f"{path}:{comp.key}:ids: unknown condition '{cid}'"
                                + (f" (did you mean: {', '.join(hint)}?)" if hint else ""))
        for field, _text, refs in iter_statements(comp):
            for key in refs:
                if key not in kb.references:
                    hint = nearest(key, kb.references)
                    problems.append(f"{path}:{comp.key}:{field}: unknown reference key '{key}'"
                                    + (f" (did you mean: {', '.join(hint)}?)" if hint else ""))
    return problems


def _check_red_flags(kb: KnowledgeBase) -> list[str]:
    problems = []
    path = kb.root / "red_flags.yaml"
    for flag in kb.red_flags.values():
        when = flag.when
        for field in ("all", "any", "and_any", "none"):
            for word in getattr(when, field):
                if word not in kb.findings:
                    problems.append(f"{path}:{flag.id}:when.{field}: {_unknown_finding(kb, word)}")
        for cid in flag.applies_to:
            if cid not in kb.conditions:
                problems.append(f"{path}:{flag.id}:applies_to: unknown condition '{cid}'")
    return problems


def _icd_valid(code: str) -> bool:
    import simple_icd_10_cm as icd

    return bool(icd.is_valid_item(code))


def _check_conditions(kb: KnowledgeBase, *, full: bool) -> list[str]:
    problems = []
    names: dict[str, str] = {}
    for cond in kb.conditions.values():
        path = kb.condition_files.get(cond.id, kb.root / "conditions")
        for word in cond.findings.typical:
            if word not in kb.findings:
                problems.append(f"{path}:{cond.id}:findings.typical: {_unknown_finding(kb, word)}")
        if full and not _icd_valid(cond.icd10cm):
            problems.append(
                f"{path}:{cond.id}:icd10cm: '{cond.icd10cm}' is not an ICD-10-CM code"
                " (checked with simple-icd-10-cm)"
            )
        if cond.red_flags != "none":
            for flag_id in cond.red_flags:
                if flag_id not in kb.red_flags:
                    hint = nearest(flag_id, kb.red_flags)
                    problems.append(
                        f"{path}:{cond.id}:red_flags: unknown red flag '{flag_id}'"
                        + (f" (did you mean: {', '.join(hint)}?)" if hint else "")
                    )
        for name in [cond.name, *cond.also_called]:
            key = name.lower().strip()
            if key in names and names[key] != cond.id:
                problems.append(
                    f"{path}:{cond.id}:also_called: '{name}' is also a name of '{names[key]}'"
                )
            names[key] = cond.id
        topics = [faq.topic for faq in cond.faqs]
        for topic in {t for t in topics if topics.count(t) > 1}:
            problems.append(f"{path}:{cond.id}:faqs: topic '{topic}' answered twice")
    return problems


def advice_texts(cond: Condition) -> Iterator[tuple[str, str]]:
    """Every (field, text) we show as advice or explanation for a condition."""
    for field in ADVICE_FIELDS:
        for where, text, _refs in iter_statements(getattr(cond, field), field):
            yield where, text


def _check_claims(kb: KnowledgeBase) -> list[str]:
    """Claims name known conditions, and no advice text repeats a rejected claim."""
    problems = []
    patterns = []
    for claim in kb.claims.values():
        for cid in claim.conditions:
            if cid not in kb.conditions:
                problems.append(f"{kb.root / 'claims.yaml'}:{claim.id}:conditions: unknown '{cid}'")
        if claim.pattern:
            try:
                patterns.append((claim, re.compile(claim.pattern, re.IGNORECASE)))
            except re.error as exc:
                problems.append(f"{kb.root / 'claims.yaml'}:{claim.id}:pattern: bad regex ({exc})")
    rejected = [(c, p) for c, p in patterns if c.verdict is Verdict.rejected]
    for cond in kb.conditions.values():
        path = kb.condition_files.get(cond.id, kb.root / "conditions")
        for field, text in advice_texts(cond):
            for claim, pattern in rejected:
                if claim.conditions and cond.id not in claim.conditions:
                    continue
                if pattern.search(text):
                    problems.append(
                        f"{path}:{cond.id}:{field}: repeats rejected claim '{claim.id}'"
                        f" ({claim.claim})"
                    )
    return problems


def _check_topics(kb: KnowledgeBase) -> list[str]:
    """A topic names known conditions and cites known references."""
    problems = []
    for topic in kb.topics.values():
        path = kb.root / "topics" / f"{topic.id}.yaml"
        for field, _text, refs in iter_statements(topic):
            problems += [f"{path}:{topic.id}:{field}: unknown reference key '{k}'"
                         for k in refs if k not in kb.references]
        for group in ("common", "serious"):
            for index, cause in enumerate(getattr(topic, group)):
                if cause.condition not in kb.conditions:
                    hint = nearest(cause.condition, kb.conditions)
                    problems.append(f"{path}:{topic.id}:{group}[{index}].condition: unknown condition"
                                    f" '{cause.condition}'" + (f" (did you mean: {', '.join(hint)}?)"
                                                               if hint else ""))
    return problems
