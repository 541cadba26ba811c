"""Ages, prematurity, durations, onset, sizes and temperatures read from text with regular expressions.

* age: "3 week old", "10-day-old", "my 5 month old", "she is five months", "6 wks", "newborn"
* gestation: "born at 34 weeks", "26+6 weeks' gestation", "a 34-weeker", "born 3 weeks early" (-> 37)
* duration: "for two months", "a 6-month history", "a 3-week rash", "started 3 days ago", "since yesterday"
* onset: "since birth", "born with", "started on day 2", "appeared at 3 weeks"
* size: "2.5 cm", "1-2 mm" -> pinpoint | small | medium | large (the findings vocabulary's bands)
* temperature: "a temperature of 38.5", "39C", "101 F" -> fever present (>= 38 C) or absent (< 37.5 C),
  and the highest reading in degrees Celsius (``temperature_c``)
* fever days: "fever for 5 days", "5 days of fever", "a temperature for the last 3 days" -> ``fever_days``
  (a duration tied to the fever is not the rash's duration)

Pure functions of the text; every reading keeps the words it came from for the "I understood" line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from babyskin.models import MAX_FEVER_DAYS
from babyskin.text import AGE_UNITS

NEWBORN_DAYS = 7  # "newborn" with no number: taken as the first week (an age under 4 weeks)
TERM_WEEKS = 40
WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "twenty-one": 21, "twenty-two": 22, "twenty-three": 23, "twenty-four": 24, "thirty": 30,
    "a couple of": 2, "couple of": 2, "a few": 3, "few": 3, "a half": 0.5, "half a": 0.5,
}
_WORDS = "|".join(sorted((re.escape(w) for w in WORD_NUMBERS), key=len, reverse=True))
_HALF = r"(?:\s+and\s+a\s+half)?"
NUM = rf"(?:\d+(?:\.\d+)?(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?{_HALF}|(?:{_WORDS}){_HALF})"
UNIT = r"(?:days?|weeks?|wks?|wk|months?|mon|mos?|mths?|years?|yrs?|(?<=\d)(?:d|w|m|y))"
SEP = r"(?:\s*-\s*|\s+|(?<=\d))"
HEDGE = r"(?:(?:about|almost|nearly|around|just|over|under|approximately|approx\.?|roughly|only)\s+)?"
_NOT_AFTER = r"(?!\s*(?:ago|early|premature|prematurely|preterm|gestation|later|before|after|history|of\b))"
BABY = (r"(?:baby|infant|boy|girl|son|daughter|newborn|neonate|twin|twins|grandson|granddaughter|male|"
        r"female|bub|little one|lo|dd|ds)")


@dataclass
class Quantities:
    age_days: int | None = None
    gestation_weeks: int | None = None
    duration_days: int | None = None
    onset_days: int | None = None
    size: str | None = None
    fever: bool | None = None
    temperature_c: float | None = None
    fever_days: int | None = None
    said: dict[str, str] = field(default_factory=dict)  # field -> the words read


def number(text: str) -> float:
    """'3' -> 3, 'five' -> 5, '2-4' -> 3 (midpoint), 'two and a half' -> 2.5."""
    text = text.strip().lower()
    half = 0.5 if text.endswith("and a half") else 0.0
    text = text.removesuffix("and a half").strip()
    parts = re.split(r"\s*(?:-|to)\s*", text) if re.match(r"\d", text) else [text]
    values = [float(p) if re.fullmatch(r"\d+(?:\.\d+)?", p) else float(WORD_NUMBERS.get(p, 0)) for p in parts]
    return sum(values) / len(values) + half


def days(amount: str, unit: str) -> int:
    letter = unit.lower()[0]
    return round(number(amount) * AGE_UNITS["m" if unit.lower().startswith("mo") else letter])


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


AGE_OLD = _rx(rf"\b(?P<n>{NUM}){SEP}(?P<u>{UNIT})s?(?:\s*-\s*|\s+)(?:old|of age)\b")
AGE_BABY = _rx(rf"\b(?P<n>{NUM}){SEP}(?P<u>{UNIT})\.?(?:\s*-\s*|\s+){BABY}\b")
AGE_IS = _rx(rf"\b(?:aged?|age|is|was|now|turned|turning|now\s+at|who\s+is|he's|she's|baby's|currently)\s+"
             rf"{HEDGE}(?P<n>{NUM}){SEP}(?P<u>{UNIT})\b{_NOT_AFTER}")
AGE_BARE = _rx(rf"(?<!for )(?<!since )(?<!past )(?<!last )(?<!over )(?<!after )(?<!within )(?<!every )"
               rf"(?<!in )(?<!the )\b(?P<n>\d+(?:\.\d+)?|{_WORDS}){SEP}"
               rf"(?P<u>days?|weeks?|wks?|months?|mos?)\b"
               rf"{_NOT_AFTER}(?!\s*-?\s*(?:rash|course|old))")
NEWBORN = _rx(r"\b(?:new[\s-]?born|neonate|neonatal period|just born|born (?:yesterday|today))\b")
DAY_OF_LIFE = _rx(r"\b(?:on|by)\s+(?:day|dol)\s+(?P<n>\d+)(?:\s*(?:-|to)\s*\d+)?\b"
                  r"|\bday\s+(?P<m>\d+)\s+of\s+life\b")

GEST_AT = _rx(r"\b(?:born|delivered|birth)\s+(?:at|@)\s+(?P<n>\d{2})(?:\s*\+\s*\d)?\s*(?:weeks?|wks?|w)\b"
              r"|\b(?P<m>\d{2})(?:\s*\+\s*\d)?\s*(?:weeks?|wks?|w)'?s?'?\s+(?:of\s+)?(?:gestation|ga|gestational)"
              r"|\b(?:gestational age|ga)\s*(?:of|:)?\s*(?P<k>\d{2})(?:\s*\+\s*\d)?\b"
              r"|\b(?P<j>\d{2})\s*-?\s*weeker\b"
              r"|\b(?:preterm|premature|prem|preemie)\b[^.\n]{0,30}?\b(?P<p>\d{2})(?:\s*\+\s*\d)?\s*"
              r"(?:weeks?|wks?)\b")
GEST_EARLY = _rx(rf"\b(?P<n>{NUM}){SEP}(?P<u>weeks?|wks?|months?)\s+"
                 r"(?:early|premature(?:ly)?|preterm|prem)\b")

_FEVER = r"(?:fever|temperature|temp|high temperature|febrile|pyrexia)"
FEVER_DAYS = _rx(rf"\b{_FEVER}[^.?!\n0-9]{{0,20}}?\b(?:for|over|during|since|in)\s+"
                 rf"(?:the\s+)?(?:past|last)?\s*{HEDGE}(?P<n>{NUM}){SEP}(?P<u>days?|weeks?)\b"
                 rf"|\b(?P<m>{NUM}){SEP}(?P<v>days?|weeks?)\s+of\s+(?:a\s+)?(?:high\s+)?{_FEVER}\b")
DUR_FOR = _rx(rf"\b(?:(?:for|over|during)\s+(?:the\s+)?(?:past|last|previous)?|in\s+the\s+(?:past|last))"
              rf"\s*{HEDGE}"
              rf"(?P<n>{NUM}){SEP}(?P<u>{UNIT})\b(?!\s*-?\s*old)")
DUR_PAST = _rx(r"\b(?:for|over|during|in)\s+the\s+(?:past|last)\s+(?P<u>day|week|month|year)\b")
DUR_NOUN = _rx(rf"\b(?P<n>{NUM}){SEP}(?P<u>{UNIT})s?(?:\s*-\s*|\s+)(?:history|rash|course|duration)\b")
DUR_BEEN = _rx(rf"\b(?:it's|it has|they've|they have|has|have|it)\s+been\s+(?:there\s+)?(?:for\s+)?{HEDGE}"
               rf"(?P<n>{NUM}){SEP}(?P<u>{UNIT})\b")
DUR_AGO = _rx(rf"\b(?:started|appeared|began|came up|came out|showed up|noticed|developed|got|"
              rf"started getting|first saw|first noticed|popped up)\b[^.?!\n]{{0,40}}?\b(?P<n>{NUM}){SEP}"
              rf"(?P<u>{UNIT})\s+ago\b")
DUR_YESTERDAY = _rx(r"\b(?:since yesterday|(?:got|noticed|appeared|started|came out|developed|popped up)"
                    r"[^.?!\n]{0,40}?\byesterday)\b")

ONSET_BIRTH = _rx(r"\b(?:since birth|at birth|from birth|born with|present at birth|since (?:the day )?"
                  r"(?:she|he|they) (?:was|were) born|since the day)\b")
ONSET_AT = _rx(rf"\b(?:started|appeared|began|came up|developed|first appeared|first noticed|showed up)\s+"
               rf"(?:at|around|about|when (?:she|he) was)\s+{HEDGE}(?P<n>{NUM}){SEP}(?P<u>{UNIT})\b")

SIZE = _rx(r"\b(?P<n>\d+(?:\.\d+)?(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?)\s*(?P<u>mm|cm|millimet(?:er|re)s?|"
           r"centimet(?:er|re)s?)\b")
TEMP = _rx(r"(?:fever|temp(?:erature)?s?|febrile|pyrexia)[^.?!\n0-9]{0,25}?(?P<n>\d{2,3}(?:\.\d)?)\s*"
           r"(?:°|º|degrees?)?\s*(?P<u>c|f|celsius|fahrenheit)?\b"
           r"|\b(?P<m>\d{2,3}(?:\.\d)?)\s*(?:°|º|degrees?)\s*(?P<v>c|f)?\b"
           r"|\b(?P<k>\d{2,3}(?:\.\d)?)\s*(?P<w>c|f)\b"
           r"|\b(?:up to|went up to|reached|peaked at|hit|as high as)\s+"
           r"(?P<h>3[5-9](?:\.\d)?|4[0-2](?:\.\d)?)\b")


def size_band(mm: float) -> str:
    if mm < 2:
        return "pinpoint"
    if mm <= 5:
        return "small"
    if mm <= 20:
        return "medium"
    return "large"


def _celsius(value: float, unit: str | None) -> float | None:
    if (unit and unit.lower().startswith("f")) or (unit is None and 93 <= value <= 110):
        value = (value - 32) * 5 / 9
    return value if 30 <= value <= 45 else None


def _first(*patterns: re.Pattern[str], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return match
    return None


def read_quantities(text: str) -> Quantities:
    """Every quantity the text states (see the module docstring for the forms read)."""
    q = Quantities()
    gest = GEST_AT.search(text)
    if gest:
        weeks = int(next(g for g in (gest["n"], gest["m"], gest["k"], gest["j"], gest["p"]) if g))
        if 22 <= weeks <= 44:
            q.gestation_weeks, q.said["gestation_weeks"] = weeks, gest.group(0)
    elif early := GEST_EARLY.search(text):
        weeks = round(TERM_WEEKS - days(early["n"], early["u"]) / 7)
        if 22 <= weeks <= 44:
            q.gestation_weeks, q.said["gestation_weeks"] = weeks, early.group(0)
    text = _mask(text, GEST_AT, GEST_EARLY)  # "born at 34 weeks" is not an age
    ages = [(days(m["n"], m["u"]), m.group(0)) for p in (AGE_OLD, AGE_BABY, AGE_IS) for m in p.finditer(text)]
    if not ages:
        ages = [(days(m["n"], m["u"]), m.group(0)) for m in AGE_BARE.finditer(text)][:1]
    if ages:
        q.age_days, q.said["age_days"] = max(ages)
    life = DAY_OF_LIFE.search(text)
    if life:
        q.onset_days = int(life["n"] or life["m"])
        q.said["onset_days"] = life.group(0)
        if q.age_days is None:
            q.age_days, q.said["age_days"] = q.onset_days, life.group(0)
    if q.age_days is None and (newborn := NEWBORN.search(text)):
        q.age_days, q.said["age_days"] = NEWBORN_DAYS, newborn.group(0)
    rash_text = text
    if fever := FEVER_DAYS.search(text):
        q.fever_days = min(days(fever["n"] or fever["m"], fever["u"] or fever["v"]), MAX_FEVER_DAYS)
        q.said["fever_days"] = fever.group(0)
        rash_text = _mask(text, FEVER_DAYS)
    dur = _first(DUR_NOUN, DUR_FOR, DUR_BEEN, DUR_AGO, text=rash_text)
    if dur:
        q.duration_days, q.said["duration_days"] = days(dur["n"], dur["u"]), dur.group(0)
    elif past := DUR_PAST.search(text):
        q.duration_days, q.said["duration_days"] = days("1", past["u"]), past.group(0)
    elif yesterday := DUR_YESTERDAY.search(text):
        q.duration_days, q.said["duration_days"] = 1, yesterday.group(0)
    if q.onset_days is None:
        if birth := ONSET_BIRTH.search(text):
            q.onset_days, q.said["onset_days"] = 0, birth.group(0)
        elif at := ONSET_AT.search(text):
            q.onset_days, q.said["onset_days"] = days(at["n"], at["u"]), at.group(0)
    if q.age_days is not None and q.onset_days is not None and q.onset_days > q.age_days:
        q.onset_days = None
    sizes = [m for m in SIZE.finditer(text)]
    if sizes:
        m = sizes[0]
        mm = number(m["n"]) * (10 if m["u"].lower().startswith("c") else 1)
        q.size, q.said["size"] = size_band(mm), m.group(0)
    temps = []
    for m in TEMP.finditer(text):
        value = m["n"] or m["m"] or m["k"] or m["h"]
        celsius = _celsius(float(value), m["u"] or m["v"] or m["w"])
        if celsius is not None:
            temps.append((celsius, m.group(0)))
    if temps:
        hottest, words = max(temps)
        q.temperature_c = round(hottest, 1)
        if hottest >= 38 or hottest < 37.5:
            q.fever, q.said["fever"] = hottest >= 38, words
    q.said = {key: " ".join(words.split()) for key, words in q.said.items()}
    return q


def _mask(text: str, *patterns: re.Pattern[str]) -> str:
    for pattern in patterns:
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text
