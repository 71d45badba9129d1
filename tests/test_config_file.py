"""config/optera.toml: every setting it holds has a comment."""

from __future__ import annotations

import re
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / "config" / "optera.toml"
COMMENTED_OUT = re.compile(r"#\s*[A-Za-z_][\w.-]*\s*=")


def uncommented_settings(text: str) -> list[str]:
    """Settings with no comment on the lines just above them (a run of
    settings under one comment shares it, up to a commented-out setting,
    which explains nothing)."""
    missing = []
    comment_above = False
    for line in text.splitlines():
        stripped = line.strip()
        if COMMENTED_OUT.match(stripped):
            comment_above = False
        elif stripped.startswith("#"):
            comment_above = True
        elif not stripped or stripped.startswith("["):
            comment_above = False
        elif not comment_above:
            missing.append(stripped)
    return missing


def test_every_setting_has_a_comment():
    assert uncommented_settings(CONFIG.read_text()) == []


def test_the_check_finds_a_setting_without_a_comment():
    text = (
        "[a]\n# the port\nport = 1\n\nhost = 'x'\n[b]\nkey = 2\n"
        "[c]\n# a path\npath = 'p'\n# other = 3\nthreads = 1\n"
    )
    assert uncommented_settings(text) == ["host = 'x'", "key = 2", "threads = 1"]
