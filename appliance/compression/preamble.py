"""Preamble stripping: greetings, sign-offs, filler and repeated role statements.

Only whole phrases that carry no instruction go: a greeting or sign-off
that names someone, a sentence with a number, and anything in code, JSON
or quotes stay. A text that would become empty is left as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from appliance.compression import protected
from appliance.compression.options import CompressionOptions
from appliance.compression.result import StepResult
from appliance.compression.textparts import TextPart, edit_texts
from appliance.tokens import TokenCounter

INSTRUCTING_ROLES = frozenset({"system", "developer", "user"})
GREETING = re.compile(
    r"\A[ \t]*(?:hi|hello|hey|hiya|howdy|greetings"
    r"|good (?:morning|afternoon|evening|day))"
    r"(?:[ \t,]+(?:there|all|everyone|team|folks|again))?"
    r"[ \t]*(?:[!.,:;]+[ \t]*(?:\r?\n)*|(?:\r?\n)+|\Z)",
    re.IGNORECASE,
)
SIGN_OFF = re.compile(
    r"(?:(?<=[.!?])[ \t]+|(?:\r?\n)+|\A)[ \t]*"
    r"(?:thanks|thank you|thx|many thanks|cheers|best regards|kind regards|"
    r"warm regards|regards|sincerely)"
    r"(?:[ \t]+(?:so much|a lot|a bunch|again))?"
    r"(?:[ \t]+for (?:your|the|all the) (?:help|time|assistance|support))?"
    r"(?:[ \t]+in advance)?[ \t]*[!.,]*\s*\Z",
    re.IGNORECASE,
)


def _sentences(*phrases: str) -> re.Pattern[str]:
    """Whole sentences, with the blanks after them; `'` also matches U+2019.

    `<words>` stands for up to 60 lower-case words, so no name or number.
    """
    body = "|".join(phrases).replace("'", "['\u2019]")
    body = body.replace("<words>", "(?-i:[a-z ,'\u2019]{0,60})")
    return re.compile(
        rf"(?:^|(?<=[.!?] )|(?<=[.!?]\t))[ \t]*(?:{body})[ \t]*",
        re.IGNORECASE | re.MULTILINE,
    )


COURTESY = _sentences(
    r"(?:I )?hope (?:you are|you're) (?:doing )?(?:well|good)(?: today)?[.!]",
    r"I hope this (?:message|email|note) finds you well[.!]",
)
FILLER = _sentences(
    r"(?:I hope (?:this|that) helps|happy to help|I'm (?:happy|glad) to help)[!.]",
    r"(?:great|good|excellent) question[!.]",
    r"(?:let me know|feel free to (?:ask|reach out|let me know)) if you (?:have|need) "
    "<words>[.!]",
    r"is there anything else <words>\?",
)
AI_DISCLAIMER = re.compile(
    r"(?:^|(?<=[.!?] ))(?P<lead>[ \t]*)as an ai(?: language model| model| assistant)?, "
    r"(?P<next>[a-z])",
    re.IGNORECASE | re.MULTILINE,
)
SIGN_OFF_WINDOW = 300
TRIGGERS = MappingProxyType(
    {
        SIGN_OFF.pattern: ("thank", "thx", "cheers", "regards", "sincerely"),
        COURTESY.pattern: ("hope",),
        FILLER.pattern: ("help", "question", "let me know", "feel free", "anything"),
    }
)
ROLE_STATEMENT = re.compile(
    r"\A[ \t]*((?:you are|you're|act as|your role is) [^\n.!?]{3,300}[.!?])"
    r"[ \t]*(?:\r?\n)*",
    re.IGNORECASE,
)


@dataclass
class _Stripper:
    """Strips one request, remembering the role statements already seen."""

    roles_seen: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("greetings", "sign_offs", "filler", "role_statements"), 0
        )
    )

    def edit(self, part: TextPart) -> str:
        if part.role not in INSTRUCTING_ROLES and part.role != "assistant":
            return part.text
        counted = dict(self.counts)
        spans = protected.split(part.text)
        texts = [span.text for span in spans]
        for index, span in enumerate(spans):
            if not span.protected:
                texts[index] = self._free(span.text, part.role, index, len(spans))
        stripped = "".join(texts)
        if stripped.strip():
            return stripped
        self.counts = counted
        return part.text

    def _free(self, text: str, role: str, index: int, count: int) -> str:
        edited = self._edited(text, role, index, count)
        if edited != text and index == count - 1:
            edited = edited.rstrip()
        return edited

    def _edited(self, text: str, role: str, index: int, count: int) -> str:
        if role in INSTRUCTING_ROLES and index == 0:
            start = text
            text = self._role_statement(text)
            text = self._sub(GREETING, text, "greetings", count=1)
            text = self._sub(COURTESY, text, "filler")
            if text != start:
                text = text.lstrip("\r\n")
        if role == "user" and index == count - 1:
            text = self._sign_off(text)
        if role == "assistant":
            text = self._sub(FILLER, text, "filler")
            text = self._disclaimer(text)
        return text

    def _sub(
        self, pattern: re.Pattern[str], text: str, kind: str, count: int = 0
    ) -> str:
        triggers = TRIGGERS.get(pattern.pattern)
        lowered = text.lower() if triggers else ""
        if triggers and not any(word in lowered for word in triggers):
            return text
        new, removed = pattern.subn("", text, count=count)
        self.counts[kind] += removed
        return new

    def _sign_off(self, text: str) -> str:
        """Sign-offs sit in the last lines; only those are searched."""
        cut = max(0, len(text) - SIGN_OFF_WINDOW)
        if cut:
            cut = text.find("\n", cut)
        if cut <= 0:
            return self._sub(SIGN_OFF, text, "sign_offs", count=1)
        return text[:cut] + self._sub(SIGN_OFF, text[cut:], "sign_offs", count=1)

    def _disclaimer(self, text: str) -> str:
        if "as an ai" not in text.lower():
            return text
        new, removed = AI_DISCLAIMER.subn(_keep_next_capitalised, text)
        self.counts["filler"] += removed
        return new

    def _role_statement(self, text: str) -> str:
        match = ROLE_STATEMENT.match(text)
        if match is None:
            return text
        statement = match.group(1)
        if statement not in self.roles_seen:
            self.roles_seen.add(statement)
            return text
        self.counts["role_statements"] += 1
        return text[match.end() :]


def _keep_next_capitalised(match: re.Match[str]) -> str:
    return match.group("lead") + match.group("next").upper()


def apply(
    body: dict[str, Any],
    protocol: str,
    counter: TokenCounter,
    model: str,
    options: CompressionOptions,
) -> StepResult:
    """Strip preamble from system, user and assistant texts of `body`."""
    before = counter.count_request(protocol, body)
    stripper = _Stripper()
    new = edit_texts(body, protocol, stripper.edit)
    if new is body:
        return StepResult.unchanged(body, before)
    after = counter.count_request(protocol, new)
    detail = {kind: n for kind, n in stripper.counts.items() if n}
    return StepResult(new, True, before, after, detail)
