"""Difficulty signals read from a request, without the network.

Length, code, mathematics, how many separate things the task asks for,
words that mark depth or brevity, numbered steps, tools, structured output,
reasoning settings and conversation depth. The classifier weighs them.
Words and steps are read from the instruction only: what follows a colon,
a quote or a blank line is taken as quoted material, lists included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from appliance.routing.needs import Needs
from appliance.routing.prompt import Prompt, split_material

CODE = re.compile(
    r"```|^\s*(?:def|class|import|fn|func|public|#include|SELECT|const|let)\b"
    r"|[;{}]\s*$|=>|\w+\([^)]*\)\s*[:{]",
    re.MULTILINE,
)
MATH = re.compile(
    r"[∫∑√∞≤≥]|\^|\\frac|\b[a-z]\s*[<>]=?\s*\d|\bd[xyt]\b|\b\w+'\s*[+=]"
    r"|\b(?:sin|cos|log|ln|exp)\s*\(|\b[fgTu]\([a-z, /0-9]+\)",
    re.IGNORECASE,
)
DEMANDS = re.compile(
    r"\b(?:explain|justify|prove|derive|show|compute|calculate|estimate|"
    r"recommend|propose|design|implement|diagnose|identify|determine|decide|"
    r"evaluate|assess|compare|reconcile|resolve|flag|list|note|cite|"
    r"plan|schedule|minimi[sz]e|maximi[sz]e|optimi[sz]e|refactor|rewrite|"
    r"debug|fix|convert|map|normali[sz]e|infer|test|quote|rate|assign|"
    r"group|label|synthesi[sz]e|summari[sz]e|extract|classify|find|work out)\b",
    re.IGNORECASE,
)
DEPTH = re.compile(
    r"\b(?:prove|proof|derive|rigorous|justify|trade-?offs?|optimal|"
    r"root cause|diagnos\w*|edge cases?|concurren\w*|deadlock|race|invariant|"
    r"reconcil\w*|contradict\w*|conflict\w*|ambigu\w*|borderline|"
    r"implications?|robust\w*|sensitiv\w*|strategy|taking into account|"
    r"given that|consider\w*|overrid\w*|interact\w*|each of these|"
    r"every|all the|why|step by step|policy|regulation|clause|legal\w*|"
    r"without\b|under (?:the )?\w+ (?:rules?|act|guidelines?))\b",
    re.IGNORECASE,
)
BREVITY = re.compile(
    r"\b(?:one (?:sentence|word|line)|yes or no|only|short|brief\w*|"
    r"tl;?dr|headline|in a few|simple|quick\w*|translate|under \d+ words|"
    r"one-liner|polite\w*|friendly)\b",
    re.IGNORECASE,
)
STEP_LINES = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+\S", re.MULTILINE)


@dataclass(frozen=True)
class Features:
    instruction_chars: int
    code: bool
    math: bool
    demands: int
    depth_cues: int
    brevity_cues: int
    step_lines: int
    tools: int
    schema_fields: int
    reasoning: bool
    user_turns: int


def features_of(prompt: Prompt, needs: Needs) -> Features:
    """The difficulty signals of one request."""
    task = prompt.task
    instruction = split_material(task)[0]
    return Features(
        instruction_chars=len(instruction),
        code=CODE.search(task) is not None,
        math=MATH.search(task) is not None,
        demands=len({m.lower() for m in DEMANDS.findall(instruction)}),
        depth_cues=len(DEPTH.findall(instruction)),
        brevity_cues=len(BREVITY.findall(instruction)),
        step_lines=len(STEP_LINES.findall(instruction)),
        tools=needs.function_tools + len(needs.builtin_tools),
        schema_fields=needs.schema_fields,
        reasoning=needs.thinking or needs.reasoning_effort in ("high", "xhigh"),
        user_turns=prompt.user_turns,
    )
