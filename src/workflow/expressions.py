"""Model expressions (conditions, timers) checked against an allow-list before evaluation.

A BPMN file is data a process owner uploads; its expressions must not be able to run code.
Only literals, names from the task data, comparisons, arithmetic, boolean logic, subscripts
and calls of a few pure functions pass the check. Attribute access is refused outright,
which closes the ``().__class__.__base__`` escape that a plain ``eval`` leaves open.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from workflow.errors import InvalidExpression
from workflow.timeparse import add_duration


def after(start: str, duration: str) -> str:
    """The instant ``duration`` (ISO 8601, e.g. "P3M") after ``start`` (an ISO datetime), in UTC ISO form.

    Lets a model set a timer at a fixed point of a period (``after(period_start, "P3M")``), so
    periodic work does not drift however late the previous step was done.
    """
    moment = datetime.fromisoformat(str(start))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return add_duration(moment.astimezone(UTC), str(duration)).isoformat()


SAFE_FUNCTIONS: dict[str, Any] = {
    "after": after,
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "round": round,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "any": any,
    "all": all,
}

_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call,
    ast.Name, ast.Load, ast.Constant, ast.Subscript, ast.Slice, ast.List, ast.Tuple, ast.Set,
    ast.Dict, ast.JoinedStr, ast.FormattedValue, ast.And, ast.Or, ast.Not, ast.Eq, ast.NotEq,
    ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.Add, ast.Sub,
    ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.USub, ast.UAdd,
)
MAX_LENGTH = 2000


def check(expression: str) -> ast.Expression:
    """Parse an expression and refuse anything outside the allow-list."""
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidExpression("empty expression")
    if len(expression) > MAX_LENGTH:
        raise InvalidExpression(f"expression longer than {MAX_LENGTH} characters")
    if "${" in expression or "#{" in expression:
        raise InvalidExpression(
            "JUEL/FEEL syntax (${...}) is not supported: write a Python expression, "
            'e.g. decision == "pass"'
        )
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise InvalidExpression(f"syntax error: {exc.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise InvalidExpression(f"construct not allowed: {type(node).__name__}")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise InvalidExpression(f"name not allowed: {node.id}")
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in SAFE_FUNCTIONS):
                raise InvalidExpression("only these functions may be called: " + ", ".join(SAFE_FUNCTIONS))
            if node.keywords:
                raise InvalidExpression("keyword arguments are not allowed")
    return tree


def evaluate(expression: str, data: Mapping[str, Any]) -> Any:
    """Evaluate a checked expression against task data, with no builtins."""
    tree = check(expression)
    scope: dict[str, Any] = {"__builtins__": {}}
    scope.update({k: v for k, v in data.items() if not k.startswith("_")})
    scope.update(SAFE_FUNCTIONS)
    return eval(compile(tree, "<model expression>", "eval"), scope)  # noqa: S307 - allow-listed AST
