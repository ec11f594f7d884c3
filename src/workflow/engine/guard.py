"""What every engine call runs under: a budget of tasks, steps and time, checked values, one kind of failure.

A process owner's model is untrusted input. Each call (start, complete a task, fire timers) gets a
fresh :class:`workflow.limits.Meter`; the engine counts each task it creates and each step it runs
against it, cardinalities and timer values computed from task data are checked before
SpiffWorkflow uses them, and whatever running the model raises becomes an :class:`EngineFailure`
for the process owner.
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflow import expressions, limits
from workflow.engine.clock import clock
from workflow.errors import EngineFailure, InvalidExpression
from workflow.timeparse import cycle_problem, duration_problem, instant_problem

if TYPE_CHECKING:
    from workflow.engine.run import Model

log = logging.getLogger(__name__)
_METER: contextvars.ContextVar[limits.Meter | None] = contextvars.ContextVar("workflow_meter", default=None)


_spiff_add_child = Task._add_child


def _metered_add_child(self, task_spec, state=TaskState.MAYBE):
    """Every task the engine creates counts against the running call's budget.

    SpiffWorkflow has no hook for this, and a multi-instance creates all its children inside one
    step, so the count has to sit where tasks are made.
    """
    meter = _METER.get()
    if meter is not None:
        meter.task_created(getattr(self.task_spec, "bpmn_id", None) or "")
    return _spiff_add_child(self, task_spec, state)


Task._add_child = _metered_add_child  # type: ignore[method-assign]


def count_step(task) -> None:
    meter = _METER.get()
    if meter is not None:
        meter.step_done(getattr(task.task_spec, "bpmn_id", None) or "")


class _SafeEnvironment(TaskDataEnvironment):
    """Expressions go through the allow-list; script tasks never run."""

    def evaluate(self, expression, context, external_context=None):
        return expressions.evaluate(expression, {**(external_context or {}), **context})

    def execute(self, script, context, external_context=None):
        raise InvalidExpression("script tasks are disabled: put the logic in a gateway condition")


_TIMER_CHECKS = {_spiff_timer.TimeDateEventDefinition: instant_problem,
                 _spiff_timer.DurationTimerEventDefinition: duration_problem,
                 _spiff_timer.CycleTimerEventDefinition: cycle_problem}


def _value_problem(spec, expression: str, value: Any) -> str | None:
    """Why a computed cardinality or timer value must not reach SpiffWorkflow, or None."""
    if getattr(spec, "cardinality", None) == expression:
        return limits.instances_problem(value)
    definition = getattr(spec, "event_definition", None)
    for each in getattr(definition, "event_definitions", None) or [definition]:
        judge = _TIMER_CHECKS.get(type(each))
        if judge is not None and each.expression == expression:
            return judge(value) if isinstance(value, str) else f"a timer expression gave {type(value).__name__}"
    return None


class _ScriptEngine(PythonScriptEngine):
    """Checks the values that size the engine's work (cardinalities, timers) before SpiffWorkflow uses them."""

    def evaluate(self, task, expression, external_context=None):
        value = super().evaluate(task, expression, external_context)
        problem = _value_problem(task.task_spec, expression, value)
        if problem:
            raise limits.LimitReached(f"{expression!r}: {problem}", getattr(task.task_spec, "bpmn_id", "") or "")
        return value


SCRIPT_ENGINE = _ScriptEngine(environment=_SafeEnvironment())


def _cause(exc: BaseException) -> BaseException:
    """The first limit or expression error behind ``exc`` (SpiffWorkflow wraps them), else the deepest cause."""
    seen: BaseException | None = exc
    deepest = exc
    while seen is not None:
        if isinstance(seen, limits.LimitReached | InvalidExpression):
            return seen
        deepest = seen
        seen = seen.__cause__ or seen.__context__
    return deepest


_UNQUOTED = re.compile(r"name '(P[0-9A-Z]+)' is not defined")


def _failure(model: Model, exc: Exception) -> EngineFailure:
    cause = _cause(exc)
    spec = getattr(exc, "task_spec", None)
    element = getattr(cause, "element_id", "") or getattr(spec, "bpmn_id", "") or ""
    text = str(exc).rstrip(". ")
    if cause is not exc:
        text += f": {getattr(cause, 'message', '') or cause}"
    unquoted = _UNQUOTED.search(text)
    if unquoted and duration_problem(unquoted.group(1)) is None:
        text += f' (a duration is text in an expression: quote it: "{unquoted.group(1)}")'
    log.warning("model %s failed at %s: %s", model.label, element or "-", text)
    log.debug("the failure of model %s", model.label, exc_info=exc)
    return EngineFailure(f"{model.label}: {text}"[:2000], process=model.process_id, element_id=element)


@contextmanager
def running(model: Model, now: datetime | None) -> Iterator[None]:
    """One engine call: the application's clock, a fresh budget, and any failure of the model as EngineFailure."""
    token = _METER.set(limits.Meter())
    try:
        with clock(now):
            yield
    except EngineFailure:
        raise
    except Exception as exc:  # the model is untrusted input: whatever running it raises is the model's failure
        raise _failure(model, exc) from exc
    finally:
        _METER.reset(token)
