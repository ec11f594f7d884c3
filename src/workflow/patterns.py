"""Form ``pattern`` constraints, matched by RE2 in time linear in the value.

Python's ``re`` backtracks: ``^(a+)+$`` against 41 characters runs for hours. RE2 never
backtracks, so no pattern a process owner writes and no value an official types can stall a
worker. RE2 syntax is Python's without backreferences and lookaround, and its ``\\d``, ``\\w``
and ``\\s`` match ASCII only (write ``\\p{Han}`` or ``\\p{L}`` for Chinese characters).
"""

from __future__ import annotations

from functools import lru_cache

import re2

MAX_INPUT = 10_000  # longest value checked against a pattern, in characters
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


@lru_cache(maxsize=256)
def _compiled(pattern: str):
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        raise ValueError(reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)) from None


def problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used (RE2 does not accept it), or None."""
    try:
        _compiled(pattern)
    except ValueError as exc:
        return str(exc)
    return None


def matches(pattern: str, value: str) -> bool:
    """Whether the whole of ``value`` matches; callers cap ``value`` at :data:`MAX_INPUT` characters first."""
    return _compiled(pattern).fullmatch(value) is not None
