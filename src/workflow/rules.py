"""The modelling rules lint and deploy enforce on each element modelxml reads (README: modelling conventions)."""

from __future__ import annotations

import re

from workflow import patterns
from workflow.models.base import ItemStatus, ZoneStatus
from workflow.modelxml import CONSTRAINTS, FIELD_TYPES, HUMAN, VARIABLE, Element, Field, Problem
from workflow.roles import Role
from workflow.timeparse import duration_problem

MAX_TEXT = 1_000_000      # the largest minlength / maxlength
MAX_NUMBER = 10**15       # the largest min / max, either sign
_ZONE_STATUSES = [s.value for s in ZoneStatus]
_ITEM_STATUSES = [s.value for s in ItemStatus]
_STATUS_PROPERTIES = {"stage": _ZONE_STATUSES, "zone_status": _ZONE_STATUSES,
                      "measure_status": _ITEM_STATUSES, "experience_status": _ITEM_STATUSES}


def element_problems(filename: str, el: Element) -> list[Problem]:
    """Problems of one element: who acts, its deadline, its form (flows: :mod:`workflow.flowrules`)."""
    problems = []

    def bad(message: str) -> None:
        problems.append(Problem(filename, el.id, message))

    if el.kind == "scriptTask":
        bad("script tasks are not allowed: model expressions may not run code")
    if el.kind == "businessRuleTask" and not el.decision_ref:
        bad("a business rule task needs camunda:decisionRef (the id of a DMN decision)")
    if el.kind == "task" and not (el.groups or el.candidate_users or el.assignee):
        bad("a plain bpmn:task waits for a person like a user task, but it names no camunda:candidateGroups, "
            "candidateUsers or assignee and its lane is not named after a role: it would land in nobody's inbox")
    if el.kind in HUMAN and not (el.groups or el.candidate_users or el.assignee):
        bad("no camunda:candidateGroups, candidateUsers or assignee, and its lane is not named after a role "
            "(lane_<role> or the role key): nobody could act on this task")
    unknown = [g for g in el.candidate_groups if g not in Role._value2member_map_ and not VARIABLE.match(g)]
    if unknown:
        bad(f"camunda:candidateGroups names unknown roles: {', '.join(unknown)} "
            f"(known: {', '.join(r.value for r in Role)})")
    for attr, values in (("candidateGroups", el.candidate_groups), ("candidateUsers", el.candidate_users),
                         ("assignee", (el.assignee,)), ("dueDate", (el.due,))):
        for value in values:
            if attr == "dueDate" and ("${" in value or "#{" in value):
                bad(f"camunda:dueDate takes an ISO 8601 duration counted from when the task opens, e.g. P7D, "
                    f"not an expression: {value}")
            elif ("${" in value or "#{" in value) and not VARIABLE.match(value):
                bad(f"camunda:{attr} takes plain names or one task-data variable like ${{unit_concerned}}, "
                    f"not an expression: {value}")
    for prop, allowed in _STATUS_PROPERTIES.items():
        value = el.prop(prop)
        if value and value not in allowed:
            bad(f"property {prop} must be one of {', '.join(allowed)}, got {value!r}")
    due_problem = duration_problem(el.due) if el.due and "${" not in el.due else None
    if due_problem:
        bad(f"camunda:dueDate: {due_problem}; write an ISO 8601 duration from when the task opens, e.g. P7D")
    ids = [f.id for f in el.form]
    if len(ids) != len(set(ids)):
        bad("form field ids repeat")
    for f in el.form:
        problems.extend(Problem(filename, el.id, f"field {f.id}: {message}") for message in _field_problems(f))
    return problems


def _field_problems(f: Field) -> list[str]:
    problems = []
    if f.type not in FIELD_TYPES:
        problems.append(f"type {f.type!r} is not one of {', '.join(sorted(FIELD_TYPES))}")
    if f.type == "enum" and not f.options:
        problems.append("an enum needs values")
    for name, config in f.constraints:
        if name not in CONSTRAINTS:
            problems.append(f"unknown constraint {name!r}")
        elif name == "pattern":
            reason = patterns.problem(config or "")
            if reason:
                problems.append(f"pattern does not compile (RE2 syntax: no backreferences or lookaround): {reason}")
        elif name in {"minlength", "maxlength"} and _whole(config) is None:
            problems.append(f"constraint {name} needs a whole number from 0 to {MAX_TEXT:,}, got {config!r}")
        elif name in {"min", "max"} and _number(config) is None:
            problems.append(f"constraint {name} needs a number from -{MAX_NUMBER:,} to {MAX_NUMBER:,}, got {config!r}")
        elif name == "required_if" and not re.fullmatch(r"\w+=[\w|]+", config or ""):
            problems.append(f"required_if needs the form other_field=value, got {config!r}")
    for low, high in (("minlength", "maxlength"), ("min", "max")):
        floor, ceiling = _number(f.constraint(low)), _number(f.constraint(high))
        if floor is not None and ceiling is not None and floor > ceiling:
            problems.append(f"{low} is greater than {high}: no value could pass")
    return problems


def _number(value: str | None) -> float | None:
    """A finite, bounded number from a constraint's config, or None."""
    try:
        number = float((value or "").strip()[:40])
    except ValueError:
        return None
    return number if abs(number) <= MAX_NUMBER else None


def _whole(value: str | None) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number == int(number) and 0 <= number <= MAX_TEXT else None
