"""`workflow lint --fix`: the simple, safe rewrites of a model's expressions, done in its text.

Only the text of the rewritten elements changes; everything else in the file stays byte for byte.
A rewrite is kept only when the result passes the expression allow-list.
"""

from __future__ import annotations

import difflib
import html
import re

from workflow import expressions
from workflow.errors import InvalidExpression
from workflow.timeparse import is_duration

_TIMERS = ("timeDuration", "timeDate", "timeCycle")
_EXPRESSIONS = ("conditionExpression", "condition", "completionCondition", "loopCondition", *_TIMERS)
_ELEMENT = re.compile(r"(<(?:[\w.-]+:)?(" + "|".join(_EXPRESSIONS) + r")\b[^>]*(?<!/)>)([^<]*)(</(?:[\w.-]+:)?\2\s*>)",
                      re.DOTALL)
_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.DOTALL)
_SINGLE = re.compile(r"'((?:[^'\\\"]|\\.)*)'")


def _ok(expression: str) -> bool:
    try:
        expressions.check(expression)
    except InvalidExpression:
        return False
    return True


def unquoted_duration(text: str) -> str | None:
    """The duration (or cycle) a timer expression names without quotes (``PT5M``, ``${PT5M}``), or None."""
    inner = _WRAPPED.sub(r"\1", text).strip()
    cycle = inner.upper().startswith("R") and "/" in inner
    if inner and not inner.startswith(("'", '"')) and (
            is_duration(inner) or cycle and re.fullmatch(r"R\d+/P\w+", inner)):
        return inner
    return None


def fixed_expression(kind: str, text: str) -> str | None:
    """The safe rewrite of one expression (JUEL ``${a == 'x'}``, FEEL ``=a > 1``, an unquoted duration), or None."""
    if kind in _TIMERS:
        duration = unquoted_duration(text)
        if duration:
            return f'"{duration}"'
    stripped = text.strip()
    inner = _WRAPPED.sub(r"\1", stripped) if _WRAPPED.match(stripped) else (
        stripped[1:] if stripped.startswith("=") and not stripped.startswith("==") else None)
    if inner is None:
        return None
    candidate = _SINGLE.sub(lambda m: '"' + m.group(1) + '"', inner.strip())
    candidate = re.sub(r"\s*&&\s*", " and ", re.sub(r"\s*\|\|\s*", " or ", candidate))
    return candidate if candidate != stripped and _ok(candidate) else None


def fix_text(source: str) -> tuple[str, int]:
    """The source with every safe rewrite applied, and how many were made."""
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        text = html.unescape(match.group(3))
        new = fixed_expression(match.group(2), text)
        if new is None:
            return match.group(0)
        count += 1
        return match.group(1) + html.escape(new, quote=False) + match.group(4)

    return _ELEMENT.sub(replace, source), count


def diff(name: str, before: str, after: str) -> str:
    """A unified diff of a file's rewrite."""
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        f"{name} (before)", f"{name} (fixed)"))
