"""Zones: filing an application, the zone list, and one zone's trace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow import access, forms, store
from workflow.charts import Point
from workflow.engine import Model
from workflow.errors import EngineFailure, InvalidForm, Msg, NotFound, Text
from workflow.models import (
    Adoption,
    Event,
    Experience,
    HumanTask,
    Measure,
    ProcessInstance,
    ProcessVersion,
    User,
    Zone,
    ZoneRecord,
    ZoneStatus,
    utcnow,
)
from workflow.modelxml import Element
from workflow.services import commit, deploy, failures, progress, timers

PROCESS_ID = "zone_lifecycle"
HUMAN_TASKS = {"userTask", "manualTask", "task"}
NAME_FIELD = "zone_name"
PROVINCE_FIELD = "province"


def application_element(model: Model) -> Element | None:
    """The task whose form carries the application (it has the zone-name field)."""
    return next((el for el in model.elements.values() if any(f.id == NAME_FIELD for f in el.form)), None)


def current_application(session: Session) -> Element | None:
    """The application task of the newest deployed lifecycle model, if any is deployed."""
    version = store.latest_version(session, PROCESS_ID)
    return application_element(deploy.model_for(version)) if version else None


def application_form(session: Session, user: User) -> tuple[ProcessVersion, Element]:
    """The form a user fills to file a new application; only a candidate of the first task may.

    Read from the diagram: showing the form never runs the model.
    """
    version, element = progress.first_task(session, PROCESS_ID)
    if not any(f.id == NAME_FIELD for f in element.form):
        raise EngineFailure(Msg("流程模型的第一个任务必须是带有 zone_name 字段的申请表"), process=PROCESS_ID)
    progress.may_begin(user, element, Msg("只有地方政府可以提出建设申请"))
    return version, element


def check_application(session: Session, user: User, element: Element, data: Mapping[str, Any],
                      zone: Zone | None) -> None:
    """Rules of the notice beyond the form: own province, one zone per name."""
    errors: dict[str, Msg] = {}
    province = data.get(PROVINCE_FIELD)
    own = user.organisation.province or "-"
    if province is not None and province != own:
        field = next((f for f in element.form if f.id == PROVINCE_FIELD), None)
        label = Text(field.option_label(own), field.option_label(own, "en")) if field else own
        errors[PROVINCE_FIELD] = Msg("只能为本省（%(p)s）申请", p=label)
    same = store.zone_by_name(session, data.get(NAME_FIELD) or "")
    if same is not None and same is not zone:
        errors[NAME_FIELD] = Msg("已有同名试验区")
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)


def apply_application(zone: Zone, data: Mapping[str, Any]) -> None:
    zone.name = data[NAME_FIELD]
    zone.province = data.get(PROVINCE_FIELD) or zone.province
    zone.application = dict(data)


def file_application(session: Session, user: User, raw: Mapping[str, Any], *, strict: bool = False,
                     now: datetime | None = None) -> Zone:
    """Create the zone and its process instance and complete the application task, in one commit."""
    now = now or utcnow()
    _, element = application_form(session, user)
    data = forms.clean(element.form, raw, strict=strict)
    check_application(session, user, element, data, None)
    with failures.reported(session, "filing an application", actor=user):
        version, run, task = progress.open_first(session, PROCESS_ID, {}, now)
        zone = Zone(applicant_id=user.organisation_id, status=ZoneStatus.APPLYING, created_at=now,
                    name=data[NAME_FIELD], province=data.get(PROVINCE_FIELD) or user.organisation.province or "")
        apply_application(zone, data)
        session.add(zone)
        progress.finish_first(session, user, zone, version, run, task, data, now)
        commit(session)
    return zone


@dataclass
class Listing:
    zones: Sequence[Zone]
    application: Element | None
    may_file: bool

    def province_label(self, code: str, lang: str = "zh") -> str:
        """A province code as the application form names it, in ``lang``."""
        field = next((f for f in self.application.form if f.id == PROVINCE_FIELD), None) if self.application else None
        return field.option_label(code, lang) if field else code


def listing(session: Session, user: User) -> Listing:
    """The zones the user may see, with the form that labels their fields."""
    version = store.latest_version(session, PROCESS_ID)
    model = deploy.model_for(version) if version else None
    application = application_element(model) if model else None
    may_file = application is not None and access.may_start(user, application.groups,
                                                             application.candidate_users)
    return Listing(store.visible_zones(session, user), application, may_file)


def page_of(session: Session, user: User, limit: int, offset: int) -> tuple[list[tuple[Zone, str]], int]:
    """One page of the zones the user may see, each with its stage, and how many there are in all."""
    found = store.visible_zones(session, user, limit, offset)
    rows = []
    for zone in found:
        instance = current_instance(zone)
        rows.append((zone, instance.position or instance.end_event or ""))
    return rows, store.count_visible_zones(session, user)


@dataclass(frozen=True)
class Upcoming:
    """A timer a running process of the zone waits for, and the task it opens when it fires."""

    element: Element
    due: datetime
    then: Element | None


@dataclass
class Trace:
    """Everything the zone page shows; the diagram's marks come from the instance on screen."""

    zone: Zone
    version: ProcessVersion
    model: Model
    open_tasks: Sequence[HumanTask]
    history: Sequence[Event]
    application: Element | None
    end_event: str | None
    position: str
    instance: ProcessInstance
    records: Sequence[ZoneRecord] = ()
    measures: Sequence[Measure] = ()
    experiences: Sequence[Experience] = ()
    adopted: Sequence[Adoption] = ()
    done: Sequence[str] = ()
    overdue: Sequence[str] = ()
    upcoming: Sequence[Upcoming] = ()
    actionable: frozenset[int] = frozenset()
    stuck: Sequence[timers.Stuck] = ()  # instances whose timers are failing
    visible: frozenset[int] = frozenset()   # other zones named on the page (adopters, sources) the user may open

    def of_kind(self, *kinds: str) -> list[ZoneRecord]:
        return [r for r in self.records if r.kind in kinds]

    @property
    def current(self) -> list[str]:
        """Where the instance is on the diagram: open tasks and waiting events, or the end it finished at."""
        return [p for p in self.position.split(",") if p] or ([self.end_event] if self.end_event else [])


def current_instance(zone: Zone) -> ProcessInstance:
    """Where the zone's main line is: its lifecycle or the running supervision year, else its last step."""
    main = [i for i in zone.instances if i is zone.lifecycle or i.period_no is not None]
    running = [i for i in main if not i.completed]
    return (running or main)[-1]


def _readable(instance: ProcessInstance):
    """The instance's run, or None when its saved state cannot be read (the page still shows; the worker reports it)."""
    try:
        return deploy.model_for(instance.process_version).restore(instance.state)
    except EngineFailure:
        return None


def _upcoming(zone: Zone) -> list[Upcoming]:
    """The timers the zone's running processes wait for, soonest first."""
    found = []
    for instance in (i for i in zone.instances if not i.completed and i.next_timer_at is not None):
        model, run = deploy.model_for(instance.process_version), _readable(instance)
        for bpmn_id, due in run.waiting_timers() if run else ():
            element = model.element(bpmn_id)
            then = next((model.element(t) for t in element.targets
                         if t in model.elements and model.element(t).kind in HUMAN_TASKS), None)
            found.append(Upcoming(element, due, then))
    return sorted(found, key=lambda u: u.due)


def trace(session: Session, user: User, zone_id: int, instance_id: int | None = None,
          now: datetime | None = None) -> Trace:
    zone = store.visible_zone(session, user, zone_id)
    if zone is None:
        raise NotFound(Msg("没有这个试验区"))
    now = now or utcnow()
    chosen = [i for i in zone.instances if i.id == instance_id]
    instance = chosen[0] if chosen else current_instance(zone)
    model = deploy.model_for(instance.process_version)
    lifecycle = deploy.model_for(zone.lifecycle.process_version)
    open_tasks = store.zone_open_tasks(session, zone.id)
    overdue = [t.bpmn_id for t in open_tasks if t.instance_id == instance.id and t.due_at and t.due_at < now]
    experiences, adopted = store.experiences(session, zone.id), store.adoptions(session, zone.id)
    named = {a.zone_id for e in experiences for a in e.adoptions} | {a.experience.zone_id for a in adopted}
    return Trace(zone, instance.process_version, model, open_tasks,
                 store.history(session, zone.id), application_element(lifecycle), instance.end_event,
                 instance.position, instance, store.records(session, zone.id), store.measures(session, zone.id),
                 experiences, adopted, done=run.completed_elements() if (run := _readable(instance)) else [],
                 overdue=overdue, upcoming=_upcoming(zone),
                 actionable=frozenset(store.actionable_task_ids(session, user, zone.id)),
                 stuck=timers.stuck(session, zone.id), visible=store.visible_zone_ids(session, user, named))


def rating_points(trace: Trace) -> list[Point]:
    """The zone's yearly ratings for the chart: period, rating, mean of the criterion scores."""
    points = []
    for record in trace.of_kind("evaluation"):
        scores = [v for k, v in record.data.items() if k.startswith("score_") and isinstance(v, int | float)]
        points.append(Point(str(record.period_no or len(points) + 1), str(record.data.get("rating", "")),
                            sum(scores) / len(scores) if scores else 0.0))
    return points


def province_labels(session: Session) -> dict[str, tuple[str, str]]:
    """Province code -> (zh, en) labels, from the deployed application form."""
    element = current_application(session)
    field = next((f for f in element.form if f.id == PROVINCE_FIELD), None) if element else None
    return {o.id: (o.label, o.label_en) for o in field.options} if field else {}
