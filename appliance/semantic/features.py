"""What a prompt pins down: its numbers, units, dates, names, code and polarity.

`features(text)` reads one prompt into a `Features` record; the guards compare
two records. Pure Python and regular expressions, tens of microseconds a text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from appliance.semantic import lexicon as lx
from appliance.semantic import names as known
from appliance.semantic.language import language

FENCED = re.compile(r"```.*?(?:```|$)|`[^`\n]+`", re.S)
QUOTED = re.compile(
    r"\"([^\"]+)\"|\u201c([^\u201d]+)\u201d|\u2018([^\u2019]+)\u2019|(?<!\w)'([^'\n]+)'(?!\w)"
)
TOKEN = re.compile(
    r"(?P<date>\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4})"
    r"|(?P<clock>\d{1,2}(?::\d{2}){1,2}(?:\s?[ap]\.?m\.?)?|\d{1,2}\s?[ap]\.?m\b\.?)"
    r"|(?P<number>(?P<cur>[$€£¥₹])?"
    r"(?P<num>(?<![\w)])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
    r"(?P<suffix>°?[a-zA-Z%]+)?)"
    r"|(?P<word>[A-Za-z][A-Za-z'\u2019]*[+#]*)"
    r"|(?P<symbol>[$€£¥₹%])"
    r"|(?P<stop>[.!?;:\n]+)"
)
SPECIAL = re.compile(
    r"(?<!\S)\S*?(?:[_(){}\[\]=<>/\\@#^*|~]|[a-z][A-Z]|\w\.\w|\d[A-Za-z]|[A-Za-z]\d)\S*"
)
ABBREVIATION = re.compile(r"^(?:[A-Za-z]\.)+$")
PLAIN_AMOUNT = re.compile(
    r"^[$€£¥₹]?[-+]?[\d,]+(?:\.\d+)?(?:°?[a-zA-Z%]{0,5})?$|^\d{1,2}(?::\d{2})+$"
)
PAYLOAD = re.compile(r"^[^:\n]{1,120}?(?::[ \t]+|\n)(?P<payload>\S.*)$", re.S)
ORDINAL_SUFFIX = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
SUFFIXES = re.compile(r"(?:ies|ied|sses|ches|shes|xes|ing|ed|ly|(?<!s)s)$")
SUFFIX_REPLACEMENTS = {
    "ies": "y",
    "ied": "y",
    "sses": "ss",
    "ches": "ch",
    "shes": "sh",
    "xes": "x",
}
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "dozen": 12.0}


@dataclass(slots=True)
class Word:
    text: str
    lower: str
    capital: bool
    initial: bool


@dataclass
class Features:
    """Everything in one prompt that must match exactly for a semantic hit."""

    length: int = 0
    language: str = "unknown"
    code: tuple[str, ...] = ()
    payload: str | None = None
    quoted: tuple[str, ...] = ()
    specials: tuple[str, ...] = ()
    numbers: list[str] = field(default_factory=list)
    quantities: Counter[tuple[str, str]] = field(default_factory=Counter)
    units: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    negations: int = 0
    poles: dict[str, frozenset[str]] = field(default_factory=dict)
    asks: frozenset[str] = frozenset()
    content: list[tuple[str, int]] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


def features(text: str) -> Features:
    """Read the facts of one prompt that a cached answer depends on."""
    found = Features(length=len(text))
    found.code = tuple(
        " ".join(m.group().strip("`").split()) for m in FENCED.finditer(text)
    )
    prose = FENCED.sub(" ", text)
    payload = PAYLOAD.match(prose.strip())
    found.payload = " ".join(payload.group("payload").split()) if payload else None
    found.quoted = tuple(
        next(g for g in m.groups() if g) for m in QUOTED.finditer(prose)
    )
    found.specials = special_tokens(prose)
    found.language = language(prose)
    words = read_tokens(prose, found)
    found.entities = entities(words)
    lowered = [word.lower for word in words]
    found.negations = sum(1 for w in lowered if w in lx.NEGATIONS or w.endswith("n't"))
    found.poles = poles(lowered)
    found.asks = asks(lowered)
    found.content = content_words(lowered)
    found.words = lowered
    return found


def special_tokens(prose: str) -> tuple[str, ...]:
    """Identifiers, paths, code-like tokens: anything a word would not contain."""
    specials = []
    for match in SPECIAL.finditer(prose):
        token = match.group().strip("\"'\u201c\u201d\u2018\u2019,;!?").rstrip(".:")
        if token and not ABBREVIATION.match(token) and not PLAIN_AMOUNT.match(token):
            specials.append(token)
    return tuple(specials)


def read_tokens(prose: str, found: Features) -> list[Word]:
    """Fill numbers, quantities, units and dates; return the words in order."""
    words: list[Word] = []
    initial = True
    matches = list(TOKEN.finditer(prose))
    skip = 0
    for position, match in enumerate(matches):
        if position < skip:
            continue
        kind = match.lastgroup
        if kind == "stop":
            initial = True
            continue
        if kind in ("date", "clock"):
            found.dates.append(" ".join(match.group().lower().replace(".", "").split()))
        elif kind == "number":
            skip = read_amount(matches, position, found)
        elif kind == "symbol":
            found.units.append(lx.UNIT_OF.get(match.group(), match.group()))
        elif kind == "word":
            raw = match.group().replace("\u2019", "'")
            lower = raw.lower()
            bare = lower[:-2] if lower.endswith("'s") else lower
            words.append(Word(raw, bare, raw[0].isupper(), initial))
        initial = False
    read_word_facts(words, found)
    return words


def read_amount(matches: list[re.Match[str]], position: int, found: Features) -> int:
    """Read one number and the unit bound to it; return where reading resumes."""
    match = matches[position]
    value = float(match.group("num").replace(",", ""))
    units: list[str] = []
    if match.group("cur"):
        units.append(lx.UNIT_OF[match.group("cur")])
    suffix = (match.group("suffix") or "").lower()
    ordinal = ORDINAL_SUFFIX.match(match.group("num") + suffix)
    if ordinal:
        found.numbers.append(f"#{ordinal.group(1)}")
        return position + 1
    if suffix:
        units.append(lx.UNIT_OF.get(suffix.lstrip("°"), lx.UNIT_OF.get(suffix, suffix)))
    following = position + 1
    while following < len(matches) and len(units) < 3:
        nxt = matches[following]
        token = nxt.group().lower()
        following += 1
        if token in ("degree", "degrees", "°"):
            continue
        if nxt.lastgroup not in ("word", "symbol") or token not in lx.UNIT_OF:
            following -= 1
            break
        units.append(lx.UNIT_OF[token])
    record_amount(value, units, found)
    return following


def record_amount(value: float, units: list[str], found: Features) -> None:
    for unit in units:
        value *= SCALES.get(unit, 1.0)
    named = next((u for u in units if u not in SCALES), None)
    shown = f"{value:g}"
    if named is None:
        found.numbers.append(shown)
    else:
        found.quantities[(shown, named)] += 1


def read_word_facts(words: list[Word], found: Features) -> None:
    """Number words, free units and date words among the plain words."""
    for index, word in enumerate(words):
        lower = word.lower
        before = words[index - 1].lower if index else ""
        after = words[index + 1].lower if index + 1 < len(words) else ""
        if lower in lx.ORDINALS and not (lower == "second" and before in lx.CARDINALS):
            found.numbers.append(f"#{lx.ORDINALS[lower]}")
        elif lower in lx.CARDINALS:
            value = f"{lx.CARDINALS[lower]:g}"
            if after in lx.UNIT_OF:
                found.quantities[(value, lx.UNIT_OF[after])] += 1
            else:
                found.numbers.append(value)
        elif lower in lx.UNIT_OF and lower not in lx.LOOSE_UNIT_ALIASES:
            if before not in lx.CARDINALS:
                found.units.append(lx.UNIT_OF[lower])
        elif date_word(word, after):
            found.dates.append(str(lx.MONTHS.get(lower, lx.WEEKDAYS.get(lower, lower))))


def date_word(word: Word, after: str) -> bool:
    if word.lower in lx.RELATIVE_DAYS:
        return True
    if word.lower not in lx.MONTHS and word.lower not in lx.WEEKDAYS:
        return False
    if word.lower not in lx.AMBIGUOUS_DATE_WORDS:
        return True
    return word.capital and not word.initial


def entities(words: list[Word]) -> list[str]:
    """Known names (any case) and capitalised names, in the order they appear."""
    names: list[str] = []
    index = 0
    while index < len(words):
        span = known_name(words, index) if words[index].lower in known.NAME_SPANS else 0
        if span:
            phrase = " ".join(w.lower for w in words[index : index + span])
            names.append(known.ALIASES.get(phrase, phrase))
            index += span
            continue
        word = words[index]
        if looks_like_name(word, words[index + 1] if index + 1 < len(words) else None):
            names.append(word.lower)
        index += 1
    return names


def known_name(words: list[Word], index: int) -> int:
    longest = known.NAME_SPANS.get(words[index].lower, 0)
    for span in range(min(longest, len(words) - index), 0, -1):
        phrase = " ".join(w.lower for w in words[index : index + span])
        if phrase in known.NAME_PHRASES:
            return span
    return 0


def looks_like_name(word: Word, following: Word | None) -> bool:
    if not word.capital or word.lower in lx.NOT_NAMES:
        return False
    if word.lower in lx.UNIT_OF or word.lower in lx.MONTHS or word.lower in lx.WEEKDAYS:
        return False
    if word.text.isupper() and len(word.text) >= 2:
        return True
    if not word.initial:
        return True
    return word.text.endswith("'s") or bool(
        following and following.capital and not following.initial
    )


def poles(lowered: list[str]) -> dict[str, frozenset[str]]:
    """For each pair of opposites, which side(s) the prompt uses."""
    present = set(lowered)
    if "on" in present or "off" in present:
        pairs = pairwise(lowered)
        present.update(lx.PHRASAL_POLES.get(f"{a} {b}", "") for a, b in pairs)
    sides: dict[str, set[str]] = {}
    for word in present:
        for side in lx.POLES_OF.get(word, ()):
            sides.setdefault(side[:-1], set()).add(side[-1])
    return {group: frozenset(signs) for group, signs in sides.items()}


def asks(lowered: list[str]) -> frozenset[str]:
    """What kind of answer the question wants: a person, a time, a place, ..."""
    kinds = {lx.WH_CLASSES[w] for w in lowered if w in lx.WH_CLASSES}
    pairs = (f"{a} {b}" for a, b in pairwise(lowered))
    kinds.update(lx.WH_CLASSES[p] for p in pairs if p in lx.WH_CLASSES)
    return frozenset(kinds)


def content_words(lowered: list[str]) -> list[tuple[str, int]]:
    """Stemmed, synonym-folded meaning words, each with its word position."""
    return [
        (stem(word), position)
        for position, word in enumerate(lowered)
        if word not in lx.FUNCTION_WORDS and len(word) > 1
    ]


def stem(word: str) -> str:
    """A crude English stem, folded onto a common synonym."""
    word = lx.SYNONYMS.get(word, word)
    for _ in range(2):
        suffix = SUFFIXES.search(word)
        if suffix is None or suffix.start() < 3:
            break
        word = word[: suffix.start()] + SUFFIX_REPLACEMENTS.get(suffix.group(), "")
    return lx.SYNONYMS.get(word, word.removesuffix("e") if len(word) > 3 else word)
