"""An agent loop: a coding agent with long, generated tool schemas.

The schemas look like what Pydantic emits (titles everywhere, `anyOf` with
null for optional fields, `allOf` around references); the loop re-reads a
file and runs the tests twice, as agents do.
"""

from __future__ import annotations

from typing import Any

SYSTEM_RULES = [
    "You are Forge, a coding agent working in the repository mounted at /repo.",
    "Work in small steps: read the relevant files before you change them, make "
    "one change at a time and run the tests after each change.",
    "Never change files under vendor/ or generated/. Never commit, push or open "
    "pull requests; the user reviews every change.",
    "Prefer the project's existing helpers and style over new dependencies. Keep "
    "functions under 30 lines and lines under 88 characters.",
    "When a test fails, read its output in full before changing anything, and "
    "explain the cause in one sentence before you fix it.",
    "Use str_replace for edits: old_str must match the file exactly, including "
    "white space; view the file again when unsure.",
    "Report at the end: what you changed, why, and which tests you ran.",
]


def _field(kind: str, title: str, description: str, optional: bool = False) -> dict:
    if optional:
        return {
            "anyOf": [{"type": kind}, {"type": "null"}],
            "default": None,
            "title": title,
            "description": description,
        }
    return {"type": kind, "title": title, "description": description}


def _tool(name: str, description: str, fields: dict[str, dict], required: list[str]):
    return {
        "name": name,
        "description": description,
        "input_schema": {
            "type": "object",
            "title": "".join(part.title() for part in name.split("_")) + "Input",
            "description": description,
            "properties": fields,
            "required": required,
            "additionalProperties": True,
        },
    }


def tools() -> list[dict[str, Any]]:
    path = _field("string", "Path", "Absolute path of the file, under /repo.")
    return [
        _tool(
            "view_file",
            "Show a file with line numbers, or part of it.",
            {
                "path": path,
                "start_line": _field("integer", "Start Line", "First line.", True),
                "end_line": _field("integer", "End Line", "Last line.", True),
            },
            ["path"],
        ),
        _tool(
            "str_replace",
            "Replace one exact occurrence of old_str by new_str in a file.",
            {
                "path": path,
                "old_str": _field("string", "Old Str", "Old Str"),
                "new_str": _field("string", "New Str", "New Str"),
            },
            ["path", "old_str", "new_str"],
        ),
        _tool(
            "create_file",
            "Create a new file with the given content.",
            {"path": path, "content": _field("string", "Content", "")},
            ["path", "content"],
        ),
        _tool(
            "run_tests",
            "Run the test suite or a subset of it with pytest.",
            {
                "selector": _field(
                    "string", "Selector", "A pytest node id or -k expression.", True
                ),
                "timeout_s": _field("integer", "Timeout S", "Timeout S", True),
                "verbose": _field("boolean", "Verbose", "", True),
            },
            [],
        ),
        _tool(
            "search",
            "Search the repository with a regular expression.",
            {
                "pattern": _field("string", "Pattern", "A Python regular expression."),
                "glob": _field(
                    "string", "Glob", "Only files matching this glob.", True
                ),
                "max_results": _field("integer", "Max Results", "Max Results", True),
            },
            ["pattern"],
        ),
        _tool(
            "list_dir",
            "List a directory.",
            {"path": path, "depth": _field("integer", "Depth", "Depth", True)},
            ["path"],
        ),
        _tool(
            "git_diff",
            "Show the uncommitted changes.",
            {
                "paths": {
                    "anyOf": [
                        {"type": "array", "items": {"type": "string", "title": "Path"}},
                        {"type": "null"},
                    ],
                    "title": "Paths",
                    "default": None,
                }
            },
            [],
        ),
        _tool(
            "ask_user",
            "Ask the user a question and wait for the answer.",
            {"question": _field("string", "Question", "Question")},
            ["question"],
        ),
    ]


SOURCE = '''"""Invoice totals."""

from decimal import Decimal


def total(lines):
    """Sum of the line amounts, VAT included."""
    amount = Decimal(0)
    for line in lines:
        amount += line.price * line.quantity
    return amount * Decimal("1.19")


def discount(amount, percent):
    return amount - amount * percent / 100
'''
FAILURE = "\n".join(
    ["============================= test session starts =============================="]
    + [f"tests/test_invoice.py::test_total_{n} FAILED" for n in range(6)]
    + ["E   AssertionError: assert Decimal('119.00') == Decimal('100.00')"] * 6
    + [" short test summary info ".center(80, "=")]
    + [f"FAILED tests/test_invoice.py::test_total_{n}" for n in range(6)]
    + [" 6 failed, 14 passed in 0.41s ".center(80, "=")]
)


AREAS = {
    "billing": ["invoice", "checkout", "refunds", "tax", "currency", "ledger"],
    "accounts": ["users", "teams", "roles", "sessions", "passwords", "audit"],
    "api": ["routes", "schemas", "errors", "pagination", "auth", "limits"],
    "jobs": ["scheduler", "emails", "exports", "cleanup", "reminders", "reports"],
    "storage": ["models", "queries", "migrations", "cache", "files", "search"],
}


def repository_map() -> str:
    """The map of the repository an agent harness puts in its system prompt."""
    lines = ["Repository map (path: what it holds):"]
    for area, modules in AREAS.items():
        for module in modules:
            lines.append(
                f"- {area}/{module}.py: the {module} part of {area}; its tests are "
                f"in tests/{area}/test_{module}.py and its fixtures in "
                f"tests/{area}/fixtures/{module}.json"
            )
    return "\n".join(lines)


SEARCH_HITS = (
    "billing/invoice.py:6:def total(lines):\n"
    "billing/checkout.py:41:    gross = total(cart.lines) \n"
    'billing/checkout.py:42:    vat = gross - gross / Decimal("1.19")'
)


def _use(call_id: str, name: str, arguments: dict) -> dict:
    return {"type": "tool_use", "id": call_id, "name": name, "input": arguments}


def _result(call_id: str, text: str) -> dict:
    return {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": call_id, "content": text}],
    }


def request() -> dict[str, Any]:
    file = {"path": "/repo/billing/invoice.py"}
    messages = [
        {
            "role": "user",
            "content": (
                "The invoice tests fail since the VAT change. Fix total() so "
                "that prices stay net; VAT is added by the caller."
            ),
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "I'll look at the failing tests first."},
                _use("t1", "run_tests", {"selector": "tests/test_invoice.py"}),
            ],
        },
        _result("t1", FAILURE),
        {"role": "assistant", "content": [_use("t2", "view_file", file)]},
        _result("t2", SOURCE),
        {
            "role": "assistant",
            "content": [
                {
                    "type": "text",
                    "text": "total() multiplies by 1.19; the tests expect net prices.",
                },
                _use("t3", "search", {"pattern": "total\\(", "glob": "*.py"}),
            ],
        },
        _result(
            "t3",
            SEARCH_HITS,
        ),
        {"role": "assistant", "content": [_use("t4", "view_file", file)]},
        _result("t4", SOURCE),
        {
            "role": "assistant",
            "content": [
                _use(
                    "t5",
                    "str_replace",
                    {
                        **file,
                        "old_str": '    return amount * Decimal("1.19")',
                        "new_str": "    return amount",
                    },
                )
            ],
        },
        _result("t5", "The file /repo/billing/invoice.py has been edited."),
        {
            "role": "assistant",
            "content": [_use("t6", "run_tests", {"selector": "tests/test_invoice.py"})],
        },
        _result("t6", FAILURE.replace("6 failed, 14 passed", "6 failed, 14 passed")),
    ]
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 4096,
        "system": "\n\n".join(SYSTEM_RULES) + "\n\n" + repository_map(),
        "tools": tools(),
        "messages": messages,
    }
