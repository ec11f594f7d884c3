"""Validate submitted values against a model's ``camunda:formData`` and return clean task data.

SpiffWorkflow keeps the modeler's constraints as data only; they are enforced here, on the
server, for the HTML pages and the API alike. Every field error is collected before raising,
so the user sees all messages next to their fields at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from workflow import characters, patterns
from workflow.errors import InvalidForm, Msg, Text
from workflow.files import Upload
from workflow.modelxml import Field

# Fields whose values are names people tell apart: a zone's name, the title of a measure or an experience.
NAME_FIELDS = frozenset({"zone_name", "title"})
_LONG = re.compile(r"[+-]?[0-9]{1,18}")
DATES = (date(2000, 1, 1), date(2099, 12, 31))  # a date field's range: the programme's century
_TRUE = {"true", "on", "1", "yes"}
_FALSE = {"false", "off", "0", "no", ""}


def clean(fields: Sequence[Field], raw: Mapping[str, Any], *, strict: bool = False,
          names: frozenset[str] = NAME_FIELDS) -> dict[str, Any]:
    """Clean values for ``fields``; raise :class:`InvalidForm` with a message per bad field.

    ``strict`` refuses keys that are not fields of the form (the API's behaviour). The fields in ``names``
    are names people compare (a zone's name, a title): normalised (NFKC) and refused with invisible characters.
    """
    errors: dict[str, str | Msg] = {}
    data: dict[str, Any] = {}
    if strict:
        for key in set(raw) - {f.id for f in fields}:
            errors[key] = Msg("不是此表单的字段")
    for field in fields:
        if field.has("readonly"):
            if field.default is not None:  # the model fixes the value; without one, the task keeps what it has
                data[field.id] = field.default
            continue
        try:
            value = raw.get(field.id)
            if field.id in names and isinstance(value, str):
                value = _name(characters.normalise_name(value))
            data[field.id] = _value(field, value)
        except _Bad as bad:
            errors[field.id] = bad.msg
    for field in fields:
        if field.id in data and _conditionally_required(field, data) and _empty(data[field.id]):
            errors[field.id] = Msg("必填项")
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    return data


class _Bad(Exception):
    def __init__(self, msg: Msg) -> None:
        self.msg = msg


def _name(value: str) -> str:
    problem = characters.name_problem(value)
    if problem:
        raise _Bad(problem)
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _conditionally_required(field: Field, data: Mapping[str, Any]) -> bool:
    rule = field.constraint("required_if")
    if not rule:
        return False
    other, _, values = rule.partition("=")
    return str(data.get(other)) in values.split("|")


def _value(field: Field, value: Any) -> Any:
    if field.type == "enum" and field.multiple:
        return _many(field, value)
    if isinstance(value, list):
        if len(value) > 1:
            raise _Bad(Msg("只能填一个值"))
        value = value[0] if value else None
    if isinstance(value, str):
        value = value.strip()
    if _empty(value):
        if field.required:
            raise _Bad(Msg("必填项"))
        return False if field.type == "boolean" else None
    convert = _CONVERTERS.get(field.type, _string)
    return convert(field, value)


def _string(field: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad(Msg("应为文本"))
    problem = characters.text_problem(value, multiline=field.widget == "textarea")
    if problem:
        raise _Bad(problem)
    value = value.replace("\r\n", "\n")
    low, high = field.constraint("minlength"), field.constraint("maxlength")
    if low and len(value) < int(float(low)):
        raise _Bad(Msg("至少 %(n)s 个字符", n=int(float(low))))
    if high and len(value) > int(float(high)):
        raise _Bad(Msg("最多 %(n)s 个字符", n=int(float(high))))
    pattern = field.constraint("pattern")
    if pattern and len(value) > patterns.MAX_INPUT:
        raise _Bad(Msg("最多 %(n)s 个字符", n=patterns.MAX_INPUT))
    if pattern and not patterns.matches(pattern, value):
        props = dict(field.properties)
        hint = Text(props["help"], props.get("help_en", "")) if props.get("help") else None
        raise _Bad(Msg("格式不符：%(hint)s", hint=hint) if hint else Msg("格式不符"))
    return value


def _long(field: Field, value: Any) -> int:
    if isinstance(value, bool):
        raise _Bad(Msg("应为整数"))
    if isinstance(value, str):
        value = int(value) if _LONG.fullmatch(value) else None
    if not isinstance(value, int):
        raise _Bad(Msg("应为整数"))
    number = value
    low, high = field.constraint("min"), field.constraint("max")
    if low is not None and number < float(low):
        raise _Bad(Msg("不能小于 %(n)s", n=low))
    if high is not None and number > float(high):
        raise _Bad(Msg("不能大于 %(n)s", n=high))
    return number


def _boolean(field: Field, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise _Bad(Msg("应为是或否"))


def _date(field: Field, value: Any) -> str:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise _Bad(Msg("应为日期（YYYY-MM-DD）"))
    if not DATES[0] <= day <= DATES[1]:
        raise _Bad(Msg("日期应在 %(low)s 至 %(high)s 之间", low=DATES[0].isoformat(), high=DATES[1].isoformat()))
    return day.isoformat()


def _enum(field: Field, value: Any) -> str:
    if not isinstance(value, str) or value not in {o.id for o in field.options}:
        raise _Bad(Msg("不是可选的值"))
    return value


def _many(field: Field, value: Any) -> list[str]:
    if value is None or value == "":
        values: Iterable[Any] = []
    elif isinstance(value, str):
        values = [value]
    elif isinstance(value, list):
        values = value
    else:
        raise _Bad(Msg("应为选项列表"))
    allowed = [o.id for o in field.options]
    if any(not isinstance(v, str) or v not in allowed for v in values):
        raise _Bad(Msg("不是可选的值"))
    chosen = set(values)
    if field.required and not chosen:
        raise _Bad(Msg("至少选择一项"))
    return [o for o in allowed if o in chosen]


def _file(field: Field, value: Any) -> Upload | int:
    """A file field holds an upload (pages) or the id of a file already attached to the zone (the API)."""
    if isinstance(value, Upload) or (isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31):
        return value
    raise _Bad(Msg("应为上传的文件，或本试验区附件的编号"))


_CONVERTERS = {"file": _file, "long": _long, "boolean": _boolean, "date": _date, "enum": _enum, "string": _string,
               "text": _string}
