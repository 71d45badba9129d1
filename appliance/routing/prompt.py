"""The parts of a chat request body the router reads, in either wire format.

OpenAI and Anthropic bodies differ in where the system prompt lives and in
the names of content parts; both are read into one `Prompt`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

TEXT_PARTS = frozenset({"text", "refusal", "input_text", "output_text"})
IMAGE_PARTS = frozenset({"image_url", "image", "input_image"})
THINKING_PARTS = frozenset({"thinking", "redacted_thinking"})
MATERIAL_START = re.compile(r":\s*['\"\u201c\u2018]|:\s*\n|\n\s*\n|```")
INSTRUCTION_SEARCH_CHARS = 600


@dataclass(frozen=True)
class Turn:
    role: str
    text: str


@dataclass(frozen=True)
class Prompt:
    """The text of a chat request, turn by turn, and the non-text parts in it."""

    system: str
    turns: tuple[Turn, ...]
    images: int
    other_parts: tuple[str, ...]

    @property
    def task(self) -> str:
        """The text of the last user turn: what the model is asked to do now."""
        for turn in reversed(self.turns):
            if turn.role == "user":
                return turn.text
        return ""

    @property
    def instruction(self) -> str:
        """The task without the material it quotes (a pasted email, a document)."""
        return split_material(self.task)[0]

    @property
    def user_turns(self) -> int:
        return sum(1 for turn in self.turns if turn.role == "user")

    @property
    def text(self) -> str:
        return "\n".join([self.system, *(turn.text for turn in self.turns)])


@dataclass
class _Reader:
    images: int = 0
    others: tuple[str, ...] = ()

    def content(self, content: Any) -> str:
        if isinstance(content, str):
            return content
        if not isinstance(content, list):
            return ""
        return "\n".join(filter(None, (self.part(part) for part in content)))

    def part(self, part: Any) -> str:
        if not isinstance(part, dict):
            return ""
        kind = part.get("type")
        if kind in TEXT_PARTS:
            return _string(part.get("text", part.get("refusal")))
        if kind in IMAGE_PARTS:
            self.images += 1
            return ""
        if kind == "tool_use":
            return json.dumps(part.get("input"), ensure_ascii=False)
        if kind == "tool_result":
            return self.content(part.get("content"))
        if kind in THINKING_PARTS:
            return _string(part.get("thinking"))
        self.others = (*self.others, str(kind))
        return ""

    def message(self, message: Any) -> Turn:
        if not isinstance(message, dict):
            return Turn("unknown", "")
        texts = [self.content(message.get("content"))]
        for call in message.get("tool_calls") or ():
            function = call.get("function", {}) if isinstance(call, dict) else {}
            texts.append(_string(function.get("arguments")))
        return Turn(_role(message), "\n".join(filter(None, texts)))


def read_prompt(body: dict[str, Any]) -> Prompt:
    """The prompt of a chat completions or messages body."""
    reader = _Reader()
    messages = body.get("messages")
    turns = [reader.message(m) for m in messages] if isinstance(messages, list) else []
    system = [reader.content(body.get("system"))]
    system += [t.text for t in turns if t.role in ("system", "developer")]
    talk = tuple(t for t in turns if t.role not in ("system", "developer"))
    return Prompt("\n".join(filter(None, system)), talk, reader.images, reader.others)


def _role(message: dict[str, Any]) -> str:
    """The sender; a user message of only tool results is the tool's turn."""
    role, content = str(message.get("role")), message.get("content")
    if role == "user" and isinstance(content, list) and content:
        kinds = {part.get("type") for part in content if isinstance(part, dict)}
        if kinds == {"tool_result"}:
            return "tool"
    return role


def split_material(task: str) -> tuple[str, str]:
    """(instruction, material): the material starts at the first quote opened
    after a colon, blank line or code fence near the start of the task."""
    found = MATERIAL_START.search(task, 0, INSTRUCTION_SEARCH_CHARS)
    if found is None or found.start() == 0:
        return task, ""
    return task[: found.start()].strip(), task[found.start() :].strip()


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""
