"""Match guards: refuse a near match whose prompt differs in what decides the answer.

Each rule compares one kind of fact from `features`; the first rule that finds
a difference names it. A verdict costs two feature reads and a few compares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from appliance.semantic import lexicon as lx
from appliance.semantic.features import Features, features

SUPPORTED_LANGUAGES = frozenset({"en", "unknown"})
MAX_LINK_GAP = 4
# The packaged model reads at most 256 word pieces well (about 1,000 English
# characters) and truncates at 512: two long prompts that differ only past
# that point embed alike, and no guard here compares whole paragraphs.
MAX_CHARS = 1000


@dataclass(frozen=True)
class GuardVerdict:
    """Whether a near match may be served, and if not, which rule refused it."""

    ok: bool
    reason: str | None = None


ALLOW = GuardVerdict(True)


def servable(text: str) -> bool:
    """Whether a prompt is short enough to be matched semantically at all."""
    return len(text) <= MAX_CHARS


def check(query: str, candidate: str) -> GuardVerdict:
    """Whether the answer cached for `candidate` also answers `query`."""
    return compare(features(query), features(candidate))


def compare(query: Features, candidate: Features) -> GuardVerdict:
    """Apply every rule to two feature records; the first refusal wins."""
    for rule in RULES:
        reason = rule(query, candidate)
        if reason is not None:
            return GuardVerdict(False, reason)
    return ALLOW


def equal_facts(found: Features) -> tuple[object, ...]:
    """The facts the rules require to be equal, as one comparable value: two
    prompts whose values differ are always refused, so a caller checking many
    candidates runs `compare` only on those whose value equals the query's."""
    return (
        found.code,
        found.quoted,
        found.specials,
        tuple(found.numbers),
        tuple(sorted(item for item in found.quantities.items() if item[1])),
        tuple(found.units),
        tuple(found.dates),
        labels(found.words),
        tuple(sorted(found.entities)),
        found.negations,
    )


def length_rule(q: Features, c: Features) -> str | None:
    if q.length > MAX_CHARS or c.length > MAX_CHARS:
        return "too long for a semantic match"
    return None


def language_rule(q: Features, c: Features) -> str | None:
    if q.language not in SUPPORTED_LANGUAGES or c.language not in SUPPORTED_LANGUAGES:
        return f"language {q.language} / {c.language} not served semantically"
    return None


def exact_rule(name: str) -> Callable[[Features, Features], str | None]:
    def rule(q: Features, c: Features) -> str | None:
        if getattr(q, name) != getattr(c, name):
            return f"{name} differ"
        return None

    rule.__name__ = f"{name}_rule"
    return rule


def payload_rule(q: Features, c: Features) -> str | None:
    """Text handed over to be worked on ("Fix the grammar: ...") must match."""
    if q.payload is not None and c.payload is not None and q.payload != c.payload:
        return "text to work on differs"
    return None


def entities_rule(q: Features, c: Features) -> str | None:
    if sorted(q.entities) != sorted(c.entities):
        return "entities differ"
    return None


def polarity_rule(q: Features, c: Features) -> str | None:
    if q.negations != c.negations:
        return "negation differs"
    for group in q.poles.keys() & c.poles.keys():
        if q.poles[group] != c.poles[group]:
            return f"opposites differ ({group})"
    return None


def question_rule(q: Features, c: Features) -> str | None:
    if q.asks and c.asks and q.asks != c.asks:
        return "asks for a different kind of answer"
    return None


def word_order_rule(q: Features, c: Features) -> str | None:
    first_q = first_positions(q)
    first_c = first_positions(c)
    shared = sorted(first_q.keys() & first_c.keys(), key=first_q.__getitem__)
    for index, left in enumerate(shared):
        for right in shared[index + 1 :]:
            if first_c[left] < first_c[right]:
                continue
            link_q = links(q, first_q[left], first_q[right])
            if link_q & links(c, first_c[right], first_c[left]):
                return f"roles swapped ({left} / {right})"
    return None


def first_positions(found: Features) -> dict[str, int]:
    positions: dict[str, int] = {}
    for word, position in found.content:
        positions.setdefault(word, position)
    return positions


def links(found: Features, start: int, end: int) -> set[str]:
    """The verbs and relation words joining two nearby words."""
    between = found.words[start + 1 : end]
    if len(between) > MAX_LINK_GAP:
        return set()
    return {
        word
        for word in between
        if word in lx.RELATION_WORDS or word not in lx.STOPWORDS
    }


def substitution_rule(q: Features, c: Features) -> str | None:
    words_q = {word for word, _ in q.content}
    words_c = {word for word, _ in c.content}
    only_q, only_c = words_q - words_c, words_c - words_q
    if len(only_q) == 1 and len(only_c) == 1:
        return f"one word differs ({only_q.pop()} / {only_c.pop()})"
    return None


def labels(words: list[str]) -> tuple[str, ...]:
    """Single letters that name something ("exercise b", "option c"); the
    article "a" and "I" count only where nothing follows them."""
    last = len(words) - 1
    return tuple(
        word
        for index, word in enumerate(words)
        if len(word) == 1
        and word.isalpha()
        and (word not in ("a", "i") or index == last)
    )


def labels_rule(q: Features, c: Features) -> str | None:
    if labels(q.words) != labels(c.words):
        return "single-letter labels differ"
    return None


RULES: tuple[Callable[[Features, Features], str | None], ...] = (
    length_rule,
    language_rule,
    exact_rule("code"),
    payload_rule,
    exact_rule("quoted"),
    exact_rule("specials"),
    exact_rule("numbers"),
    exact_rule("quantities"),
    exact_rule("units"),
    exact_rule("dates"),
    labels_rule,
    entities_rule,
    polarity_rule,
    question_rule,
    word_order_rule,
    substitution_rule,
)
