"""Lint of DMN decision tables: cells the engine would fail on or misread at run time.

The engine compares an input with a cell as ``input == (cell)`` when the cell is an expression on its
own (``"优秀"``, ``90``), and otherwise glues the cell to the input (``score`` + ``>= 90``), without a
space: a cell that starts with a word (``in ("a", "b")``, ``not in …``) becomes a name such as
``scorein`` and fails. ``?`` in a cell stands for the input (``? in ("a", "b")``).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from workflow import expressions
from workflow.errors import InvalidExpression
from workflow.modelxml import Problem

_FEEL = re.compile(r"^\s*(\[|\]|\().*\.\..*(\]|\[|\))\s*$|^\s*not\s*\(|^\s*(date|time|date and time|duration)\s*\(")


def _parses(text: str) -> bool:
    try:
        ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return False
    return True


def cell_problem(cell: str) -> str | None:
    """Why an input cell would fail or mislead at run time, or None."""
    text = cell.strip()
    if text in {"", "-"}:
        return None
    if _FEEL.search(text):
        return f"FEEL {text!r} is not supported: cells are Python, e.g. >= 90, \"优秀\" or ? in (\"a\", \"b\")"
    if "?" in text:
        return _expression_problem(text.replace("?", "dmninputexpr"))
    if _parses(text):
        tree = ast.parse(text, mode="eval").body
        if isinstance(tree, ast.Tuple):
            return (f"{text!r} is a Python tuple here, so the input never equals it (FEEL lists are not supported): "
                    f"write ? in ({text})")
        return _expression_problem(text)
    if re.match(r"[A-Za-z_]", text):
        return (f"{text!r} fails at run time: the engine joins it to the input without a space; "
                f"write ? {text}")
    return _expression_problem(f"dmninputexpr {text}")


def _expression_problem(text: str) -> str | None:
    try:
        expressions.check(text)
    except InvalidExpression as exc:
        return f"{text.replace('dmninputexpr', '?')!r}: {exc.message}"
    return None


def table_problems(filename: str, root: Any) -> list[Problem]:
    """Problems of every decision table in a DMN document, located by rule id (or decision id)."""
    problems = []
    decisions = list(root.iter("{*}decision"))
    if not decisions:
        return [Problem(filename, "", "no decision in this DMN file")]
    for decision in decisions:
        tables = list(decision.iter("{*}decisionTable"))
        if not tables:
            problems.append(Problem(filename, decision.get("id", ""), "only decision tables are run: this decision "
                                    "has none (literal expressions and requirements are not supported)"))
        for table in tables:
            for text in table.iterfind("{*}input/{*}inputExpression/{*}text"):
                problem = _expression_problem(text.text or "")
                if problem:
                    problems.append(Problem(filename, decision.get("id", ""), f"input expression {problem}"))
            for row, rule in enumerate(table.iterfind("{*}rule"), 1):
                where = rule.get("id") or decision.get("id", "")
                for entry in rule.iterfind("{*}inputEntry"):
                    problem = cell_problem(entry.findtext("{*}text") or "")
                    if problem:
                        problems.append(Problem(filename, where, f"decision {decision.get('id')} row {row}: {problem}"))
                for entry in rule.iterfind("{*}outputEntry"):
                    text = (entry.findtext("{*}text") or "").strip()
                    problem = _expression_problem(text) if text else None
                    if problem:
                        problems.append(Problem(filename, where,
                                                f"decision {decision.get('id')} row {row}: output {problem}"))
    return problems
