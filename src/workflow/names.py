"""Task-data names a model's expressions read, against the names the model and the product provide (lint).

A name nothing provides fails when the expression runs (a gateway, a timer, a loop), far from the
upload; lint names it at once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

from workflow import expressions
from workflow.errors import InvalidExpression
from workflow.fixes import unquoted_duration
from workflow.modelxml import BPMN, CAMUNDA, Problem

# What every zone's process starts with (services.progress.seed; README: the data a process starts with).
SEED_NAMES = frozenset({"zone_id", "zone_name", "province", "priority_policies", "period_no", "period_start",
                        "previous_rating"})
_READERS = {"conditionExpression", "condition", "completionCondition", "loopCondition", "timeDuration",
            "timeDate", "timeCycle", "loopCardinality"}
_DMN_INPUT = "dmninputexpr"  # what ``?`` in a DMN cell stands for


def _provided(bpmn_roots: Iterable[Any], dmn_roots: Iterable[Any]) -> set[str]:
    """Form fields, DMN outputs, loop variables and the seed: the names a run's task data can hold."""
    names = set(SEED_NAMES) | {_DMN_INPUT}
    for root in bpmn_roots:
        names.update(f.get("id", "") for f in root.iter(f"{{{CAMUNDA}}}formField"))
        for node in root.iter():
            for attr in ("elementVariable", "resultVariable"):
                if node.get(f"{{{CAMUNDA}}}{attr}"):
                    names.add(node.get(f"{{{CAMUNDA}}}{attr}"))
        names.update(n.text.strip() for n in root.iter(f"{{{BPMN}}}outputDataItem", f"{{{BPMN}}}inputDataItem")
                     if n.text)
        names.update(n.get("name", "") for n in root.iter(f"{{{BPMN}}}outputDataItem", f"{{{BPMN}}}inputDataItem"))
    for root in dmn_roots:
        names.update(o.get("name", "") for o in root.iter("{*}output"))
    return names


def read_names(text: str | None) -> set[str]:
    """The task-data names an expression reads (none when it does not pass the allow-list: reported elsewhere)."""
    try:
        tree = expressions.check(text or "")
    except InvalidExpression:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(expressions.SAFE_FUNCTIONS) - {
        "True", "False", "None"}


def unprovided(bpmn: dict[str, Any], dmn: dict[str, Any]) -> list[Problem]:
    """Each expression that reads a name no form field, DMN output, loop variable or seed provides.

    A DMN table's inputs are checked only beside a BPMN model (on its own, a table's inputs come from anywhere).
    """
    provided = _provided(bpmn.values(), dmn.values())
    problems = []
    for filename, root in dmn.items() if bpmn else ():
        for decision in root.iter("{*}decision"):
            for text in decision.iter("{*}inputExpression"):
                missing = sorted(read_names(text.findtext("{*}text")) - provided)
                if missing:
                    problems.append(Problem(filename, decision.get("id", ""), f"input {text.findtext('{*}text')!r} "
                                            f"reads {', '.join(missing)}, which no form field, DMN output or start "
                                            "data provides: the decision would fail when it runs"))
    for filename, root in bpmn.items():
        for node in root.iter(*(f"{{{BPMN}}}{kind}" for kind in _READERS)):
            if node.tag.endswith(("timeDuration", "timeDate", "timeCycle")) and unquoted_duration(node.text or ""):
                continue  # modelxml says: quote it
            missing = sorted(read_names(node.text) - provided)
            if missing:
                owner = node.getparent() if node.tag.endswith("conditionExpression") else node.getparent().getparent()
                problems.append(Problem(filename, owner.get("id", ""), f"reads {', '.join(missing)}, which no form "
                                        "field, DMN output or start data provides: it would fail when it runs"))
        problems += _collections(filename, root, provided)
    return problems


def _collections(filename: str, root: Any, provided: set[str]) -> list[Problem]:
    """``camunda:collection`` names a task-data list: not an expression, and one the model provides."""
    problems = []
    for node in root.iter(f"{{{BPMN}}}multiInstanceLoopCharacteristics"):
        collection = (node.get(f"{{{CAMUNDA}}}collection") or "").strip()
        activity = node.getparent().get("id", "")
        name = collection.removeprefix("${").removeprefix("#{").removesuffix("}").strip()
        if collection and collection != name:
            problems.append(Problem(filename, activity, f"camunda:collection takes the name of a task-data list, "
                                    f"not an expression: write {name}, not {collection}"))
        elif collection and not collection.isidentifier():
            problems.append(Problem(filename, activity, f"camunda:collection must be a task-data name: {collection!r}"))
        elif collection and collection not in provided:
            problems.append(Problem(filename, activity, f"camunda:collection names {collection}, which no form field, "
                                    "DMN output or start data provides: it would fail when it runs"))
    return problems
