"""Text -> mentions (each with how it is meant) -> the findings they support.

A *mention* is a matched phrase with a status from its ConText modifiers:

* ``present``; ``absent`` (negated: "no fever", "she isn't itchy"; or a phrase that says so: "afebrile");
* ``uncertain`` ("is this baby acne?"), ``hypothetical`` ("watch for a fever"), ``historical`` ("he had
  baby acne before this");
* ``reported`` ("the GP said baby eczema"): someone else's diagnosis; the condition is shown as asked
  about; what the name describes counts ("strawberry"), a history it implies does not ("eczema");
* ``other_person`` ("mum had cold sores", "his brother has chickenpox"): never the baby's own finding,
  but the contact it implies (``maternal_herpes``, ``sick_contact``, ``eczema_history``).

Safety rules (uncertainty and odd grammar must never lower triage):

* an *alarm* finding (one that alone fires an emergency red flag: non-blanching spots, floppy, not
  breathing) counts as present unless a negation sits right next to it ("not floppy"); uncertain or
  hypothetical mentions count too. "no fever, floppy" is floppy.
* an uncertain mention of a warning sign (a sign used by an urgent or emergency red flag) counts as
  present ("could she have a fever?"); doubting a reassuring sign ("not sure the spots fade under a
  glass") counts as its warning sign.
* a negation reaches past a comma only in a list ("no fever, vomiting or diarrhoea").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from babyskin.engine.red_flags import matches
from babyskin.kb.loader import KnowledgeBase
from babyskin.models import FindingGroup, Findings, TriageLevel
from babyskin.nlp.pipeline import SPAN_GROUP, Pipeline
from babyskin.nlp.quantities import Quantities, read_quantities
from babyskin.nlp.rules import RuleInfo

Status = Literal["present", "absent", "uncertain", "hypothetical", "historical", "reported", "other_person"]
FILLER = frozenset({
    "really", "very", "so", "too", "seem", "seems", "seemed", "to", "be", "been", "being", "is", "are", "was",
    "were", "a", "an", "any", "the", "much", "at", "all", "quite", "look", "looks", "looked", "appear",
    "appears", "feel", "feels", "getting", "have", "has", "had", "got", "as", "she", "he", "it", "they",
    "him", "her", "overly", "particularly", "especially", "that", "obviously", "actually", "even", "yet",
})
LIST_WORDS = frozenset({"or", "nor"})
CONTACT_SIGNS = frozenset({"itchy", "fever", "vesicle", "papule", "pustule", "crust", "unwell", "vomiting",
                           "diarrhea", "mouth_sores", "sick_contact"})
PRIORITY = {"finding": 0, "rash": 1, "ignore": 1, "name": 2}
# A reassuring sign that is doubted or denied leaves its warning sign open: "not sure if the spots fade
# under a glass" and "the rash is not blanching" both mean non-blanching cannot be ruled out.
DOUBT_MEANS = {"blanching": "non_blanching"}
CHUNK_CHARS = 2000
HISTORY = frozenset({"eczema_history", "maternal_herpes", "herpes_contact", "varicella_contact",
                     "sick_contact", "household_itch"})
PRESSING = re.compile(r"\b(?:press(?:es|ed|ing)?|push(?:es|ed|ing)?|glass test|tumbler|(?:a|the) glass)\b",
                      re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    text: str
    start: int
    end: int
    kind: str
    findings: tuple[str, ...]
    conditions: tuple[str, ...]
    status: Status
    who: str | None = None


@dataclass(frozen=True)
class Extraction:
    findings: Findings
    mentions: tuple[Mention, ...]
    conditions: tuple[str, ...]  # conditions the text names for the baby (or asks about)
    topic_findings: Findings  # every finding mentioned and not negated (what a question is about)
    alarms: tuple[str, ...]  # phrases that escalate
    uncertain: tuple[str, ...]  # findings kept only for safety
    quantities: Quantities = field(default_factory=Quantities)


@dataclass(frozen=True)
class Vocabulary:
    group: dict[str, FindingGroup]
    alarm: frozenset[str]  # alone fire an emergency red flag
    alone: frozenset[str]  # alone fire an urgent or emergency red flag (alarm words and more)
    safety: frozenset[str]  # signs used by an urgent or emergency red flag, and the ``alone`` words
    contagious: frozenset[str]


_VOCABULARIES: dict[str, Vocabulary] = {}


def vocabulary(kb: KnowledgeBase) -> Vocabulary:
    """Which findings escalate on their own, which matter for safety, which conditions spread."""
    cached = _VOCABULARIES.get(kb.version)
    if cached is None:
        cached = _VOCABULARIES[kb.version] = _build_vocabulary(kb)
    return cached


def _build_vocabulary(kb: KnowledgeBase) -> Vocabulary:
    alarm: set[str] = set()
    alone: set[str] = set()
    safety: set[str] = set()
    for flag in kb.red_flags.values():
        if flag.triage.rank < TriageLevel.urgent.rank:
            continue
        safety.update(flag.when.all, flag.when.any, flag.when.and_any)
        if flag.applies_to:
            continue
        for word in kb.findings:
            if matches(flag.when, {word}, Findings(present=(word,))):
                alone.add(word)
                if flag.triage is TriageLevel.emergency:
                    alarm.add(word)
    return Vocabulary(
        group={fid: f.group for fid, f in kb.findings.items()},
        alarm=frozenset(alarm),
        alone=frozenset(alone),
        safety=frozenset(w for w in safety if w in kb.findings
                         and kb.findings[w].group is FindingGroup.signs) | alone,
        contagious=frozenset(c.id for c in kb.conditions.values() if c.contagious.value),
    )


def _between(doc: Any, modifier: Any, target: Any) -> list[str]:
    start, end = modifier.modifier_span
    if end <= target.start:
        return [t.norm_ for t in doc[end:target.start]]
    return [t.norm_ for t in doc[target.end:start]]


def _reaches(doc: Any, modifier: Any, target: Any) -> bool:
    """A negation reaches past a comma only inside a list ("no fever, vomiting or diarrhoea")."""
    words = _between(doc, modifier, target)
    if "," not in words:
        return True
    after = [t.norm_ for t in doc[target.end:target.end + 2]]
    return bool(LIST_WORDS & set(words) or LIST_WORDS & set(after))


def _adjacent(doc: Any, modifier: Any, target: Any) -> bool:
    words = _between(doc, modifier, target)
    return len(words) <= 3 and all(w in FILLER for w in words)


def _status(doc: Any, span: Any, rule: RuleInfo, vocab: Vocabulary) -> tuple[Status, str | None]:
    """(status, who for another person). An alarm finding is negated only by a negation next to it."""
    cats: dict[str, Any] = {}
    for modifier in span._.modifiers:
        if modifier.category == "NEGATED_EXISTENCE" and not _reaches(doc, modifier, span):
            continue
        cats.setdefault(modifier.category, modifier)
    negation = cats.get("NEGATED_EXISTENCE")
    adjacent = negation is not None and _adjacent(doc, negation, span)
    if "FAMILY" in cats:
        who = (cats["FAMILY"].rule.metadata or {}).get("who", "other")
        return "other_person", who + ("_past" if "HISTORICAL" in cats else "")
    if negation is not None and not adjacent and not rule.absent and vocab.alarm.intersection(rule.findings):
        del cats["NEGATED_EXISTENCE"]
    status: Status = "present"
    for category, value in (("HISTORICAL", "historical"), ("REPORTED", "reported"),
                            ("HYPOTHETICAL", "hypothetical"),
                            ("NEGATED_EXISTENCE", "absent"), ("POSSIBLE_EXISTENCE", "uncertain")):
        if category in cats:
            status = value  # type: ignore[assignment]
            break
    if rule.absent:
        status = "present" if status == "absent" and adjacent else "absent" if status == "present" else status
    return status, None


def _resolve(spans: Iterable[Any], rules: dict[str, RuleInfo], alarm: frozenset[str]) -> list[Any]:
    """Where readings overlap, an emergency reading wins ("not breathing normally"), then the longest
    match; a finding beats a condition name of the same length."""
    layer = [s for s in spans if rules[s.label_].kind in PRIORITY]
    denials = [s for s in layer if rules[s.label_].absent]
    # A longer phrase that denies something ("not breathing fast") beats the alarm inside it.
    layer = [s for s in layer if not any(d.start <= s.start and s.end <= d.end and len(d) > len(s)
                                         for d in denials)]

    def rank(span: Any) -> tuple[int, int, int, int]:
        rule = rules[span.label_]
        urgent = 0 if alarm.intersection(rule.findings) and not rule.absent else 1
        return urgent, -(span.end - span.start), span.start, PRIORITY[rule.kind]

    layer.sort(key=rank)
    taken: set[int] = set()
    chosen = []
    for span in layer:
        if taken.isdisjoint(range(span.start, span.end)):
            chosen.append(span)
            taken.update(range(span.start, span.end))
    return sorted(chosen, key=lambda s: s.start)


def _contact(finding: str | None, kind: str, conditions: tuple[str, ...], who: str | None,
             vocab: Vocabulary) -> str | None:
    """What another person's illness means for the baby (a past illness: only herpes and eczema)."""
    if finding in ("varicella_contact", "herpes_contact", "household_itch", "sick_contact"):
        return finding  # the phrase already names the contact ("his cousin has chickenpox")
    if "varicella" in conditions and not (who and who.endswith("_past")):
        return "varicella_contact"
    if finding == "maternal_herpes":
        return "maternal_herpes" if who in ("mother", "mother_past") else "sick_contact"
    if finding == "eczema_history":  # "family history of eczema" counts; one relative's hay fever does not
        return "eczema_history" if who and who.startswith("family") else None
    if who and who.endswith("_past"):
        return None
    if kind == "rash" or finding in CONTACT_SIGNS or any(c in vocab.contagious for c in conditions):
        return "sick_contact"
    return None


def _mentions(doc: Any, pipeline: Pipeline, vocab: Vocabulary, offset: int) -> list[Mention]:
    rules = pipeline.rules
    spans = list(doc.spans[SPAN_GROUP])
    chosen = _resolve(spans, rules, vocab.alarm)
    covered = {i for s in chosen if rules[s.label_].kind == "finding" for i in range(s.start, s.end)}
    extra = [s for s in spans if rules[s.label_].kind == "frame"]
    extra += [s for s in spans if rules[s.label_].kind == "condition"
              and not all(i in covered or doc[i].is_stop or doc[i].is_punct for i in range(s.start, s.end))]
    chosen_keys = {(s.start, s.end, s.label_) for s in chosen}
    extra += [s for s in spans
              if rules[s.label_].kind == "name" and (s.start, s.end, s.label_) not in chosen_keys]
    out = []
    for span in sorted([*chosen, *extra], key=lambda s: (s.start, s.end)):
        rule = rules[span.label_]
        if rule.kind == "ignore":
            continue
        status, who = _status(doc, span, rule, vocab)
        out.append(Mention(text=span.text, start=span.start_char + offset, end=span.end_char + offset,
                           kind=rule.kind,
                           findings=rule.findings, conditions=rule.conditions, status=status, who=who))
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?;\n])\s+")


def chunk(text: str, size: int = CHUNK_CHARS) -> Iterable[tuple[int, str]]:
    """(offset, part) pieces of about ``size`` characters, cut between sentences (ConText never looks
    across a sentence, so this loses nothing and keeps long texts linear)."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = None
            for match in _SENTENCE_END.finditer(text, start + size // 2, end):
                cut = match.end()
            end = cut or end
        yield start, text[start:end]
        start = end


def extract(text: str, kb: KnowledgeBase, pipeline: Pipeline) -> Extraction:
    """Read ``text`` (already cleaned) into findings, mentions and alarms."""
    vocab = vocabulary(kb)
    mentions: list[Mention] = []
    chunks = list(chunk(text))
    for (offset, _), doc in zip(chunks, pipeline.docs([part for _, part in chunks]), strict=True):
        mentions.extend(_mentions(doc, pipeline, vocab, offset))
    q = read_quantities(text)
    present: dict[str, None] = {}
    absent: dict[str, None] = {}
    topic: dict[str, None] = {}
    alarms: dict[str, None] = {}
    uncertain: dict[str, None] = {}
    conditions: dict[str, None] = {}
    for mention in mentions:
        if mention.kind in ("name", "condition") and mention.status != "other_person":
            conditions.update(dict.fromkeys(mention.conditions))
        if mention.status == "other_person":
            contact = _contact(mention.findings[0] if mention.findings else None, mention.kind,
                               mention.conditions, mention.who, vocab)
            if contact in vocab.group:
                present[contact] = None
            continue
        for word in mention.findings:
            if word not in vocab.group:
                continue
            fid, status = word, mention.status
            if status == "reported":  # what a diagnosis describes counts; a history it implies does not
                if fid in HISTORY:
                    continue
                status = "present"
            if fid in DOUBT_MEANS and status in ("absent", "uncertain"):
                fid, status = DOUBT_MEANS[fid], "present"
            if status != "absent":
                topic[fid] = None
            if fid in vocab.alarm and status in ("present", "uncertain", "hypothetical", "reported"):
                alarms[mention.text.lower()] = None
                present[fid] = None
            elif status == "present":
                present[fid] = None
            elif status == "absent":
                absent[fid] = None
            elif status == "uncertain" and fid in vocab.safety:
                present[fid] = None
                uncertain[fid] = None
    if PRESSING.search(text) and not {"blanching", "non_blanching"} & (present.keys() | absent.keys()):
        # pressing is mentioned and its result not understood: cannot rule out non-blanching spots
        present["non_blanching"] = uncertain["non_blanching"] = topic["non_blanching"] = None
    if q.fever_days:  # "fever for 5 days" is a fever
        present["fever"] = None
        absent.pop("fever", None)
    if q.fever is not None:  # a thermometer reading beats the word "temperature"
        (present if q.fever else absent)["fever"] = None
        (absent if q.fever else present).pop("fever", None)
    plural = any(m.status == "present" and m.kind == "finding" and m.text.lower().endswith("s")
                 and any(vocab.group.get(f) is FindingGroup.lesions for f in m.findings) for m in mentions)
    findings = _findings(present, absent, vocab, q, plural)
    topic_findings = _findings(topic, {}, vocab, q)
    return Extraction(findings=findings, mentions=tuple(mentions), conditions=tuple(conditions),
                      topic_findings=topic_findings, alarms=tuple(alarms), uncertain=tuple(uncertain),
                      quantities=q)


def _findings(present: dict[str, None], absent: dict[str, None], vocab: Vocabulary, q: Quantities,
              plural: bool = False) -> Findings:
    groups: dict[FindingGroup, list[str]] = {g: [] for g in FindingGroup}
    for fid in present:
        groups[vocab.group[fid]].append(fid)
    size = q.size or (groups[FindingGroup.size] or [None])[-1]  # the last word: the current state
    count = next(iter(groups[FindingGroup.count]), None)  # the first: later ones often count other things
    if count is None and plural:
        count = "many"
    signs_absent = [f for f in absent if vocab.group[f] is FindingGroup.signs and f not in present]
    return Findings(
        age_days=q.age_days, onset_days=q.onset_days, gestation_weeks=q.gestation_weeks,
        duration_days=q.duration_days, fever_days=q.fever_days, temperature_c=q.temperature_c,
        locations=tuple(groups[FindingGroup.locations]),
        lesions=tuple(groups[FindingGroup.lesions]), colors=tuple(groups[FindingGroup.colors]),
        size=size, count=count, present=tuple(groups[FindingGroup.signs]), absent=tuple(signs_absent),
    )
