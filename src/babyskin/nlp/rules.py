"""Target rules for the text reader: our phrase rules (``rules/target_rules.json``) merged with the
knowledge base's words (finding synonyms and clinical terms, condition names and lay terms).

Rule files are in medspaCy's format (``{"target_rules": [{literal, category, pattern, metadata}]}``) and
are validated by medspaCy's own ``TargetRule.from_dict`` (unknown keys rejected, allowed keys listed),
then by :func:`check_rules` against the knowledge base.

A rule's ``category`` is a finding id, or one of:

* ``IGNORE``    generic or ambiguous words that must not become a finding ("spots", "one", "came back")
* ``RASH``      a complaint that only matters as someone else's illness ("a cold", "a virus")
* ``CONDITION`` a condition named by ``metadata.conditions``

``metadata`` may hold ``findings`` (a phrase that means several findings, "milk spots" -> papule + white),
``absent: true`` (a phrase that says a finding is absent: "afebrile", "feeding well"), ``frame: true``
(a pattern that adds a finding without hiding the words inside it: "a small red mark" -> single),
``conditions`` and ``note``. Where our rule and a KB synonym share a literal, our rule wins.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from babyskin.errors import BabyskinError
from babyskin.kb.loader import KnowledgeBase
from babyskin.models import FindingGroup

Kind = Literal["finding", "frame", "ignore", "rash", "condition", "name"]
SPECIAL = {"IGNORE": "ignore", "RASH": "rash", "CONDITION": "name"}
METADATA_KEYS = {"findings", "absent", "frame", "conditions", "note"}
_CLINICAL_SKIP = re.compile(r"[()<>=0-9]")
NOUN_GROUPS = {FindingGroup.locations, FindingGroup.lesions}


@dataclass(frozen=True)
class RuleInfo:
    """What a matched span means; ``key`` is the span label the pipeline gives it."""

    key: str
    literal: str
    kind: Kind
    findings: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    absent: bool = False
    pattern: list[dict[str, Any]] | None = None
    source: Literal["rules", "kb"] = "rules"


def normal(literal: str) -> str:
    """The form two literals are compared in: lower case, straight quotes, single spaces."""
    text = literal.lower().replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split())


def read_rule_file(name: str, key: str) -> list[dict[str, Any]]:
    """The rule records of ``rules/<name>``, each checked by medspaCy's own validator."""
    path = resources.files("babyskin.nlp") / "rules" / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise BabyskinError(
            f"nlp/rules/{name}: cannot read the rules ({error}); reinstall babyskin") from None
    records = data.get(key) if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise BabyskinError(f"nlp/rules/{name}: expected an object with a '{key}' list")
    return records


def own_target_rules() -> list[dict[str, Any]]:
    from medspacy.target_matcher import TargetRule

    records = read_rule_file("target_rules.json", "target_rules")
    problems = []
    for index, record in enumerate(records):
        try:
            TargetRule.from_dict(record)
        except (ValueError, TypeError) as error:
            problems.append(f"nlp/rules/target_rules.json: rule #{index}: {error}".replace("\n", " "))
        extra = set(record.get("metadata") or {}) - METADATA_KEYS
        if extra:
            problems.append(
                f"nlp/rules/target_rules.json: rule #{index} ({record.get('literal')}): unknown metadata"
                f" {sorted(extra)}; allowed: {sorted(METADATA_KEYS)}"
            )
    if problems:
        raise BabyskinError(problems[0], problems=problems)
    return records


def _own_info(record: dict[str, Any], index: int) -> RuleInfo:
    meta = record.get("metadata") or {}
    category = record["category"]
    kind: Kind = SPECIAL.get(category, "finding")  # type: ignore[assignment]
    if kind == "finding" and meta.get("frame"):
        kind = "frame"
    findings = tuple(meta.get("findings") or ((category,) if kind in ("finding", "frame") else ()))
    return RuleInfo(
        key=f"R{index}", literal=record["literal"], kind=kind, findings=findings,
        conditions=tuple(meta.get("conditions") or ()), absent=bool(meta.get("absent")),
        pattern=record.get("pattern"),
    )


def _variants(literal: str, plural: bool = True) -> list[str]:
    """The literal, its hyphen-free spellings ("honey-coloured" -> "honey coloured", "honeycoloured")
    and, for nouns, its simple plural (KB synonyms often list only one form)."""
    out = [literal]
    if "-" in literal:
        out += [literal.replace("-", " "), literal.replace("-", "")]
    if plural:
        for base in list(out):
            last = base.split()[-1] if base.split() else ""
            if last.isalpha() and len(last) > 2 and not last.endswith("s"):
                out.append(base + ("es" if last.endswith(("ch", "sh", "x")) else "s"))
    return list(dict.fromkeys(out))


def kb_finding_literals(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Finding id -> the words the KB gives for it (synonyms, the id, simple clinical terms)."""
    out: dict[str, list[str]] = {}
    for fid, finding in kb.findings.items():
        words = [*finding.synonyms, fid.replace("_", " ")]
        words += [part.strip() for part in finding.clinical.split("/")
                  if not _CLINICAL_SKIP.search(part) and 0 < len(part.split()) <= 3]
        out[fid] = list(dict.fromkeys(normal(w) for w in words if w.strip()))
    return out


def build_rules(kb: KnowledgeBase) -> list[RuleInfo]:
    """All rules for this knowledge base: ours first, then KB words not already covered by ours."""
    records = own_target_rules()
    rules: list[RuleInfo] = []
    taken: set[tuple[str, str]] = set()  # (layer, literal)
    known = set(kb.findings)
    for index, record in enumerate(records):
        info = _own_info(record, index)
        if any(f not in known for f in info.findings):
            continue  # reported by check_rules; the KB may be mid-edit
        info = RuleInfo(**{**info.__dict__, "conditions": tuple(c for c in info.conditions
                                                                 if c in kb.conditions)})
        rules.append(info)
        if info.pattern is None and info.kind != "frame":
            layer = "condition" if info.kind in ("condition", "name") else "finding"
            taken.add((layer, normal(info.literal)))
    count = len(rules)
    for fid, literals in kb_finding_literals(kb).items():
        nouns = kb.findings[fid].group in NOUN_GROUPS
        for base in literals:
            for literal in _variants(base, plural=nouns):
                if ("finding", literal) in taken:
                    continue
                taken.add(("finding", literal))
                rules.append(RuleInfo(key=f"K{count}", literal=literal, kind="finding", findings=(fid,),
                                      source="kb"))
                count += 1
    for cond in kb.conditions.values():
        names = [cond.name, *cond.also_called]
        for kind, words in (("name", names), ("condition", cond.lay_terms)):
            for base in words:
                for literal in _variants(normal(base)):
                    if ("condition", literal) in taken:
                        continue
                    taken.add(("condition", literal))
                    rules.append(RuleInfo(key=f"K{count}", literal=literal, kind=kind,  # type: ignore[arg-type]
                                          conditions=(cond.id,), source="kb"))
                    count += 1
    return rules


def check_rules(kb: KnowledgeBase) -> list[str]:
    """Every problem with the rules against this knowledge base (empty when all is well)."""
    problems: list[str] = []
    where = "nlp/rules/target_rules.json"
    seen: dict[str, str] = {}
    for index, record in enumerate(own_target_rules()):
        info = _own_info(record, index)
        label = f"{where}: rule #{index} ({info.literal})"
        if info.kind in ("finding", "frame") and record["category"] not in kb.findings:
            problems.append(f"{label}: category '{record['category']}' is not a finding id or one of"
                            f" {', '.join(SPECIAL)}")
        for fid in info.findings:
            if fid not in kb.findings:
                problems.append(f"{label}: unknown finding '{fid}'")
        for cid in (record.get("metadata") or {}).get("conditions") or ():
            if cid not in kb.conditions:
                problems.append(f"{label}: unknown condition '{cid}'")
        if record["category"] == "CONDITION" and not (record.get("metadata") or {}).get("conditions"):
            problems.append(f"{label}: a CONDITION rule needs metadata.conditions")
        if info.pattern is None and info.kind != "frame":
            key = normal(info.literal) + ("|c" if info.kind in ("condition", "name") else "")
            meaning = f"{info.kind}:{','.join(info.findings)}:{info.absent}"
            if key in seen and seen[key] != meaning:
                problems.append(f"{label}: the same literal is already a rule with another meaning")
            seen[key] = meaning
    owners: dict[str, str] = {}
    for fid, literals in kb_finding_literals(kb).items():
        for literal in literals:
            if literal in owners and owners[literal] != fid:
                problems.append(f"kb/findings.yaml:{fid}:synonyms: '{literal}' is also a word for"
                                f" '{owners[literal]}'; keep it on one finding")
            owners.setdefault(literal, fid)
    return problems


def kb_overrides(kb: KnowledgeBase) -> dict[str, tuple[str, RuleInfo, str | None]]:
    """KB synonyms that our rules read differently: literal -> (KB finding, our rule, our note)."""
    owner: dict[str, str] = {}
    for fid, literals in kb_finding_literals(kb).items():
        for literal in literals:
            owner.setdefault(literal, fid)
    out = {}
    for index, record in enumerate(own_target_rules()):
        info = _own_info(record, index)
        literal = normal(info.literal)
        if info.pattern is not None or info.kind not in ("finding", "ignore", "rash") or literal not in owner:
            continue
        if set(info.findings) != {owner[literal]} or info.absent:
            out[literal] = (owner[literal], info, (record.get("metadata") or {}).get("note"))
    return out
