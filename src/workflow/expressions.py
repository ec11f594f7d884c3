"""Model expressions (conditions, timers) checked against an allow-list, then run at a bounded cost.

A BPMN file is data a process owner uploads; its expressions must not be able to run code.
Only literals, names from the task data, comparisons, arithmetic, boolean logic, subscripts
and calls of a few pure functions pass the check. Attribute access is refused outright,
which closes the ``().__class__.__base__`` escape that a plain ``eval`` leaves open.

Allowed constructs can still cost a worker its life (``"a" * 1000000000``, a format width of
10^9, a ``max`` over a list repeated 10^5 times), so every expression also runs under a budget:

* statically, :func:`check` refuses format specifications, ``%`` formatting of text and deep
  nesting, and evaluates each part that uses no task data, so a constant that is too big is
  refused when the model is linted;
* at run time the arithmetic that can grow a value (``*``, ``+``, ``%``) and every call go
  through guards that refuse to build a value of more than :data:`MAX_SIZE` elements and
  characters or an integer of more than :data:`MAX_INT_BITS` bits, and that stop the evaluation
  once it has run for :data:`SECONDS`.
"""

from __future__ import annotations

import ast
import contextvars
import copy
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from types import CodeType
from typing import Any

from workflow.errors import ExpressionLimit, InvalidExpression
from workflow.timeparse import add_duration, duration_problem

MAX_LENGTH = 2000
MAX_DEPTH = 100
MAX_SIZE = 1_000_000
MAX_INT_BITS = 16_384
MAX_ROUND_DIGITS = 100
SECONDS = 1.0

_DEADLINE: contextvars.ContextVar[float] = contextvars.ContextVar("expression_deadline", default=float("inf"))


def after(start: str, duration: str) -> str:
    """The instant ``duration`` (ISO 8601, e.g. "P3M") after ``start`` (an ISO datetime), in UTC ISO form.

    Lets a model set a timer at a fixed point of a period (``after(period_start, "P3M")``), so
    periodic work does not drift however late the previous step was done.
    """
    moment = datetime.fromisoformat(str(start))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return add_duration(moment.astimezone(UTC), str(duration)).isoformat()


def _round(number: Any, digits: Any = None) -> Any:
    if digits is None:
        return round(number)
    if not isinstance(digits, int) or abs(digits) > MAX_ROUND_DIGITS:
        raise ExpressionLimit(f"round() takes at most {MAX_ROUND_DIGITS} digits")
    return round(number, digits)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "after": after, "len": len, "min": min, "max": max, "abs": abs, "round": _round, "str": str, "int": int,
    "float": float, "bool": bool, "any": any, "all": all,
}
# Functions whose cost or result grows with the size of their arguments (comparing, rendering).
_SIZED = {"min", "max", "str"}


_SCALARS = (int, float, type(None))


def size(value: Any, limit: int = MAX_SIZE) -> int:
    """Elements and characters in ``value``, counted through nested containers; stops once past ``limit``.

    A list that holds the same big list many times counts it each time: comparing or printing it
    costs that much.
    """
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, int):
            total += item.bit_length() // 64
        elif isinstance(item, dict):
            total += len(item)
            stack.extend([v for v in (*item.keys(), *item.values()) if not isinstance(v, _SCALARS)])
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            stack.extend([v for v in item if not isinstance(v, _SCALARS)])
    return total


def _tick() -> None:
    if time.monotonic() > _DEADLINE.get():
        raise ExpressionLimit(f"the expression ran for more than {SECONDS} s")


def _refuse_size(what: str, amount: int) -> None:
    if amount > MAX_SIZE:
        raise ExpressionLimit(f"{what} would hold more than {MAX_SIZE:,} elements or characters")


def _is_sequence(value: Any) -> bool:
    return isinstance(value, str | bytes | list | tuple)


def _mul(left: Any, right: Any) -> Any:
    _tick()
    for sequence, count in ((left, right), (right, left)):
        if _is_sequence(sequence) and isinstance(count, int) and count > 0:
            _refuse_size("repeating a text or list", size(sequence) * count)
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise ExpressionLimit(f"a product would have more than {MAX_INT_BITS:,} bits")
    return left * right


def _add(left: Any, right: Any) -> Any:
    _tick()
    if _is_sequence(left) and _is_sequence(right):
        _refuse_size("joining texts or lists", size(left) + size(right))
    return left + right


def _mod(left: Any, right: Any) -> Any:
    _tick()
    if isinstance(left, str | bytes):
        raise ExpressionLimit("formatting text with % is not allowed")
    return left % right


def _text(value: Any, conversion: int = -1) -> str:
    _tick()
    _refuse_size("a value put into an f-string", size(value))
    return repr(value) if conversion == ord("r") else ascii(value) if conversion == ord("a") else str(value)


def _guarded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        _tick()
        if name in _SIZED:
            for arg in args:
                _refuse_size(f"the argument of {name}()", size(arg))
        return function(*args)

    call.__name__ = name
    return call


SAFE_FUNCTIONS: dict[str, Callable[..., Any]] = {name: _guarded(name, f) for name, f in _FUNCTIONS.items()}
_GUARDS: dict[str, Any] = {"_mul": _mul, "_add": _add, "_mod": _mod, "_text": _text}
_OPERATOR_GUARDS = {ast.Mult: "_mul", ast.Add: "_add", ast.Mod: "_mod"}

_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call,
    ast.Name, ast.Load, ast.Constant, ast.Subscript, ast.Slice, ast.List, ast.Tuple, ast.Set,
    ast.Dict, ast.JoinedStr, ast.FormattedValue, ast.And, ast.Or, ast.Not, ast.Eq, ast.NotEq,
    ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.Add, ast.Sub,
    ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.USub, ast.UAdd,
)


def _parse(expression: str) -> ast.Expression:
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidExpression("empty expression")
    if len(expression) > MAX_LENGTH:
        raise InvalidExpression(f"expression longer than {MAX_LENGTH} characters")
    if "${" in expression or "#{" in expression:
        raise InvalidExpression(
            "JUEL/FEEL syntax (${...}) is not supported: write a Python expression, "
            'e.g. decision == "pass"'
        )
    if expression.strip().startswith("=") and not expression.strip().startswith("=="):
        raise InvalidExpression(
            "FEEL syntax (=...) is not supported: write a Python expression, "
            'e.g. decision == "pass"'
        )
    try:
        return ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise InvalidExpression(f"syntax error: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise InvalidExpression(f"nested more than {MAX_DEPTH} levels deep") from None


def _depth(tree: ast.AST) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _check_node(node: ast.AST) -> None:
    if not isinstance(node, _ALLOWED):
        raise InvalidExpression(f"construct not allowed: {type(node).__name__}")
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise InvalidExpression(f"name not allowed: {node.id}")
    if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
        raise InvalidExpression('format specifications such as f"{x:>10}" are not allowed')
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and (
            isinstance(node.left, ast.JoinedStr)
            or (isinstance(node.left, ast.Constant) and isinstance(node.left.value, str | bytes))):
        raise InvalidExpression("formatting text with % is not allowed")
    if isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id in SAFE_FUNCTIONS):
            raise InvalidExpression("only these functions may be called: " + ", ".join(SAFE_FUNCTIONS))
        if node.keywords:
            raise InvalidExpression("keyword arguments are not allowed")
        if node.func.id == "after" and len(node.args) == 2 and isinstance(node.args[1], ast.Constant):
            problem = duration_problem(str(node.args[1].value))
            if problem:
                raise InvalidExpression(f"after(): {problem}")


def check(expression: str) -> ast.Expression:
    """Parse an expression and refuse anything outside the allow-list or over the budget."""
    tree = _parse(expression)
    if _depth(tree) > MAX_DEPTH:
        raise InvalidExpression(f"nested more than {MAX_DEPTH} levels deep")
    for node in ast.walk(tree):
        _check_node(node)
    _fold_constants(tree)
    return tree


def _uses_data(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id not in SAFE_FUNCTIONS for n in ast.walk(node))


def _fold_constants(tree: ast.Expression) -> None:
    """Run each part that uses no task data, so that a constant over the budget is refused at lint."""
    stack: list[ast.AST] = [tree.body]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp | ast.Call | ast.JoinedStr) and not _uses_data(node):
            try:
                _run(_compile(ast.Expression(body=copy.deepcopy(node))), {})
            except ExpressionLimit as exc:
                raise InvalidExpression(exc.message) from None
            except Exception:  # noqa: S110 - only the budget is judged here; the rest fails at run time
                pass
            continue
        stack.extend(ast.iter_child_nodes(node))


class _Guard(ast.NodeTransformer):
    """Routes the operations that can grow a value through the guards."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        guard = _OPERATOR_GUARDS.get(type(node.op))
        if guard is None:
            return node
        return ast.Call(ast.Name(guard, ast.Load()), [node.left, node.right], [])

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        self.generic_visit(node)
        node.value = ast.Call(ast.Name("_text", ast.Load()), [node.value, ast.Constant(node.conversion)], [])
        node.conversion = -1
        return node


def _compile(tree: ast.Expression) -> CodeType:
    guarded = ast.fix_missing_locations(_Guard().visit(tree))
    try:
        return compile(guarded, "<model expression>", "eval")
    except (RecursionError, MemoryError):
        raise InvalidExpression(f"nested more than {MAX_DEPTH} levels deep") from None


@lru_cache(maxsize=1024)
def _compiled(expression: str) -> CodeType:
    return _compile(check(expression))


def _run(code: CodeType, data: Mapping[str, Any]) -> Any:
    scope: dict[str, Any] = {"__builtins__": {}}
    scope.update({k: v for k, v in data.items() if not k.startswith("_")})
    scope.update(SAFE_FUNCTIONS)
    scope.update(_GUARDS)
    token = _DEADLINE.set(time.monotonic() + SECONDS)
    try:
        return eval(code, scope)  # noqa: S307 - allow-listed AST, guarded operations, no builtins
    finally:
        _DEADLINE.reset(token)


def constant(expression: str) -> tuple[bool, Any]:
    """``(True, value)`` for an allowed expression that uses no task data and evaluates; else ``(False, None)``.

    Lets lint judge values that need no run: a timer's literal duration, a literal cardinality.
    """
    tree = check(expression)
    if _uses_data(tree):
        return False, None
    try:
        return True, _run(_compile(tree), {})
    except Exception:  # a constant that fails to evaluate is judged where it runs
        return False, None


def evaluate(expression: str, data: Mapping[str, Any]) -> Any:
    """Evaluate a checked expression against task data, with no builtins and a bounded cost."""
    return _run(_compiled(expression), data)
