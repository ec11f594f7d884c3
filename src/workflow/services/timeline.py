"""A zone's timeline: every step of every process, who took it, what changed, how long since the step before.

Generic over event kinds: a new kind of event (a reassignment, a delegation) appears here as it is
written; the pages label it from one table of kinds (``workflow.web.EVENT_LABELS``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from workflow import store
from workflow.engine import Model
from workflow.errors import InvalidForm, Msg
from workflow.models import Event, ProcessInstance, ZoneStatus
from workflow.modelxml import Field
from workflow.services import deploy
from workflow.services.zones import Case, Trace

SYSTEM = "system"
STAGES = tuple(s.value for s in ZoneStatus if s.value in ("applying", "recommending", "accepting", "approving",
                                                          "operating"))


@dataclass(frozen=True)
class Change:
    """One datum a step set or changed: the form field that carries it (if any), before and after."""

    key: str
    field: Field | None
    before: Any
    after: Any

    @property
    def added(self) -> bool:
        return self.before is None


@dataclass
class Step:
    """One row of the timeline."""

    event: Event
    case: Case | None
    stage: str
    since: timedelta | None = None
    changes: list[Change] = field(default_factory=list)

    @property
    def person(self) -> str:
        """The person's display name; the system for steps nobody took."""
        user = self.event.actor_user
        return (user.display_name or user.username) if user else (self.event.actor or SYSTEM)

    @property
    def roles(self) -> list[str]:
        return [r for r in (self.event.role or "").split(",") if r]

    @property
    def actor_key(self) -> str:
        return self.event.actor or SYSTEM


@dataclass(frozen=True)
class Filters:
    stage: str = ""
    process: int | None = None
    actor: str = ""


@dataclass
class Timeline:
    steps: list[Step]
    filters: Filters
    stages: list[str]
    cases: list[Case]
    actors: list[tuple[str, str]]  # (key, display name)


def _form_fields(model: Model, bpmn_id: str | None) -> dict[str, Field]:
    element = model.elements.get(bpmn_id or "")
    return {f.id: f for f in element.form} if element else {}


def _changes(known: dict[str, Any], data: Mapping[str, Any], fields: Mapping[str, Field]) -> list[Change]:
    """What this step's data set or changed, against what the process knew before it."""
    changes = []
    for key, value in data.items():
        before = known.get(key)
        if value != before and not (before is None and value in ("", [], None)):
            changes.append(Change(key, fields.get(key), before, value))
        known[key] = value
    return changes


def _stage(model: Model, instance: ProcessInstance, lifecycle_id: int, event: Event,
           opened: Sequence[tuple[datetime, str]]) -> str:
    """The zone's stage when the step was taken: in the lifecycle, the ``stage`` of the step's own task, else of
    the newest task the lifecycle had opened by then; after the lifecycle, operating."""
    if instance.id != lifecycle_id:
        return ZoneStatus.OPERATING.value
    element = model.elements.get(event.bpmn_id or "")
    if element is not None and element.prop("stage"):
        return element.prop("stage")
    earlier = [stage for at, stage in opened if at <= event.at]
    return earlier[-1] if earlier else ZoneStatus.APPLYING.value


def steps(session: Session, trace: Trace) -> list[Step]:
    """Every recorded step of the zone, oldest first, with its stage, its process and its changes."""
    cases = {c.instance.id: c for group in trace.cases.values() for c in group}
    models: dict[int, Model] = {}
    known: dict[int, dict[str, Any]] = {}
    lifecycle_id = trace.zone.lifecycle.id
    opened = store.stages_opened(session, lifecycle_id)
    stage, found = ZoneStatus.APPLYING.value, []
    for event in trace.history:
        case = cases.get(event.instance_id or 0)
        model = None
        if case is not None:
            model = models.setdefault(case.instance.id, deploy.model_for(case.instance.process_version))
            stage = _stage(model, case.instance, lifecycle_id, event, opened)
        step = Step(event, case, stage)
        if model is not None and event.data and event.kind in ("task_completed", "automatic"):
            step.changes = _changes(known.setdefault(case.instance.id, {}), event.data,
                                    _form_fields(model, event.bpmn_id))
        found.append(step)
    return found


def _check(filters: Filters, stages: Sequence[str], cases: Sequence[Case], actors: Mapping[str, str]) -> None:
    errors = {}
    if filters.stage and filters.stage not in STAGES:
        errors["stage"] = Msg("不是可选的值")
    if filters.process is not None and filters.process not in {c.instance.id for c in cases}:
        errors["process"] = Msg("不是可选的值")
    if filters.actor and filters.actor not in actors:
        errors["actor"] = Msg("不是可选的值")
    if errors:
        raise InvalidForm(Msg("查询参数有误"), errors)


def timeline(session: Session, trace: Trace, filters: Filters = Filters()) -> Timeline:  # noqa: B008 - frozen
    """The steps the filters keep (stage, process, actor), each with the time since the one shown before it."""
    every = steps(session, trace)
    cases = [c for group in trace.cases.values() for c in group]
    actors = {s.actor_key: s.person for s in every}
    _check(filters, STAGES, cases, actors)
    kept = [s for s in every if (not filters.stage or s.stage == filters.stage)
            and (filters.process is None or (s.case is not None and s.case.instance.id == filters.process))
            and (not filters.actor or s.actor_key == filters.actor)]
    for before, after in zip(kept, kept[1:], strict=False):
        after.since = after.event.at - before.event.at
    stages = [s for s in STAGES if any(step.stage == s for step in every)]
    return Timeline(kept, filters, stages, cases, sorted(actors.items(), key=lambda a: (a[0] == SYSTEM, a[1])))
