"""What any request may carry: JSON of bounded depth, text without NUL or lone surrogates, ASCII integers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from workflow.errors import BadRequest, InvalidForm, Msg

MAX_JSON_DEPTH = 32
_INTEGER = re.compile(r"[0-9]{1,12}")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def integer(raw: str | None) -> int | None:
    """An ASCII decimal integer, or None: ``isdigit()`` and ``int()`` also take '²' or '١٢'."""
    return int(raw) if raw is not None and _INTEGER.fullmatch(raw) else None


def id_param(values: Mapping[str, str], name: str) -> int | None:
    """An optional integer parameter: None when absent or empty, 400 with a field message when not an integer."""
    raw = values.get(name)
    if raw is None or raw == "":
        return None
    number = integer(raw)
    if number is None:
        raise InvalidForm(Msg("参数有误"), {name: Msg("应为整数")})
    return number


def bounded(values: Mapping[str, str], name: str, default: int | None, low: int, high: int,
            errors: dict[str, Msg]) -> int | None:
    """An optional whole-number parameter from ``low`` to ``high``: ``default`` when absent; otherwise out of range
    or not a number adds a field message to ``errors`` (the caller raises them all at once)."""
    raw = values.get(name)
    if raw is None:
        return default
    number = integer(raw)
    if number is None or not low <= number <= high:
        errors[name] = Msg("应为 %(low)s 到 %(high)s 之间的整数", low=low, high=high)
        return default
    return number


def storable(text: str) -> str:
    """``text`` with NUL and lone surrogates replaced, for recording what was sent (e.g. a login name)."""
    return _UNSTORABLE.sub("\ufffd", text)


def _safe_key(key: str) -> str:
    return storable(key)[:100]


def _refuse(field: str) -> InvalidForm:
    name = _safe_key(field)
    return InvalidForm(Msg("“%(field)s”含有不允许的字符（NUL 或不成对的代理字符）", field=name),
                       {name: Msg("含有不允许的字符（NUL 或不成对的代理字符）")})


def check_fields(pairs: Iterable[tuple[str, list[str]]]) -> None:
    """Refuse a query or form whose names or values hold NUL or lone surrogates (no database stores them)."""
    for key, values in pairs:
        if _UNSTORABLE.search(key) or any(_UNSTORABLE.search(v) for v in values):
            raise _refuse(key)


def check_json(value: Any) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH, or holding NUL or lone surrogates in any key or string."""
    stack: list[tuple[Any, str, int]] = [(value, "json", 1)]
    while stack:
        item, field, depth = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                raise _refuse(field)
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise BadRequest(Msg("JSON 嵌套超过 %(n)s 层", n=MAX_JSON_DEPTH))
            pairs = item.items() if isinstance(item, dict) else ((field, v) for v in item)
            for key, child in pairs:
                if _UNSTORABLE.search(key):
                    raise _refuse(key)
                stack.append((child, key, depth + 1))


def loads(text: str | bytes, **options: Any) -> Any:
    """``json.loads`` that answers 400 instead of crashing on deep nesting, then checks what it parsed."""
    try:
        value = json.loads(text, **options)
    except RecursionError:
        raise BadRequest(Msg("JSON 嵌套超过 %(n)s 层", n=MAX_JSON_DEPTH)) from None
    check_json(value)
    return value


def date_param(values: Mapping[str, str], name: str) -> date:
    """A required ISO date (YYYY-MM-DD) among request values; a 400 naming the field otherwise."""
    raw = values.get(name, "")
    try:
        if isinstance(raw, str) and len(raw) == 10:
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise InvalidForm(Msg("表单有误，请按提示修改"), {name: Msg("应为日期（YYYY-MM-DD）")})
