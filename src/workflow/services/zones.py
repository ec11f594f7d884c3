"""Zones: filing an application, the zone list, and one zone's trace."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from workflow import access, files, forms, modelxml, store
from workflow.charts import DEFAULT_BANDS, Band, Point
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
from workflow.modelxml import rating_bands as rating_bands_of
from workflow.services import commit, deploy, disclosure, documents, failures, progress, timers

PROCESS_ID = "zone_lifecycle"
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


def filing_form(session: Session, user: User) -> Element:
    """The application form as the user fills it: the province offers only what the user may file for."""
    return narrowed(application_form(session, user)[1], user)


def narrowed(element: Element, user: User) -> Element:
    """The element with its province field offering only the user's own province (when the user has one)."""
    own = user.organisation.province
    if not own or not any(f.id == PROVINCE_FIELD for f in element.form):
        return element
    form = tuple(replace(f, options=tuple(o for o in f.options if o.id == own),
                         properties=(*f.properties, ("widget", "select"))) if f.id == PROVINCE_FIELD else f
                 for f in element.form)
    return replace(element, form=form)


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
    zone.name = data.get(NAME_FIELD) or zone.name  # a readonly field is not in the data: it keeps its value
    zone.province = data.get(PROVINCE_FIELD) or zone.province
    zone.application = {**(zone.application or {}), **data}


def file_application(session: Session, user: User, raw: Mapping[str, Any], *, strict: bool = False,
                     now: datetime | None = None, limit: int = files.LIMIT) -> Zone:
    """Create the zone and its process instance and complete the application task, in one commit."""
    now = now or utcnow()
    _, element = application_form(session, user)
    data = forms.clean(element.form, raw, strict=strict)
    documents.check_fields(element.form, data, limit)
    check_application(session, user, element, data, None)
    with failures.reported(session, "filing an application", actor=user):
        version, run, task = progress.open_first(session, PROCESS_ID, {}, now)
        zone = Zone(applicant_id=user.organisation_id, status=ZoneStatus.APPLYING, created_at=now,
                    name=data[NAME_FIELD], province=data.get(PROVINCE_FIELD) or user.organisation.province or "")
        session.add(zone)
        data = documents.take_fields(session, user, zone, None, element.form, data, limit, now)
        apply_application(zone, data)
        progress.finish_first(session, user, zone, version, run, task, data, now)
        commit(session)
    return zone


@dataclass
class Listing:
    zones: Sequence[Zone]
    application: Element | None
    may_file: bool
    province: str = ""
    status: str = ""

    def province_label(self, code: str, lang: str = "zh") -> str:
        """A province code as the application form names it, in ``lang``."""
        field = next((f for f in self.application.form if f.id == PROVINCE_FIELD), None) if self.application else None
        return field.option_label(code, lang) if field else code


def listing(session: Session, user: User, province: str = "", status: str = "") -> Listing:
    """The zones the user may see (of one province, in one status, when asked), with the form that labels them."""
    version = store.latest_version(session, PROCESS_ID)
    model = deploy.model_for(version) if version else None
    application = application_element(model) if model else None
    may_file = application is not None and access.may_start(user, application.groups,
                                                             application.candidate_users)
    errors = {}
    if status and status not in {s.value for s in ZoneStatus}:
        errors["status"] = Msg("不是可选的值")
    if province and not re.fullmatch(r"[a-z]{2,32}", province):
        errors["province"] = Msg("不是可选的值")
    if errors:
        raise InvalidForm(Msg("查询参数有误"), errors)
    return Listing(store.visible_zones(session, user, province=province or None, status=status or None),
                   application, may_file, province, status)


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


@dataclass(frozen=True)
class Case:
    """One process instance of a zone as its case tree shows it: the lifecycle, a year, a measure, a proposal."""

    kind: str  # lifecycle | period | measure | proposal | other
    instance: ProcessInstance
    title: str = ""


CASE_KINDS = ("lifecycle", "period", "measure", "proposal", "other")


def case_tree(zone: Zone, measures: Sequence[Measure], experiences: Sequence[Experience]) -> dict[str, list[Case]]:
    """Every process instance of the zone, grouped: its lifecycle, each supervision year, each measure and proposal."""
    titles = {m.instance_id: ("measure", m.title) for m in measures if m.instance_id}
    titles.update({e.instance_id: ("proposal", e.title) for e in experiences if e.instance_id})
    tree: dict[str, list[Case]] = {kind: [] for kind in CASE_KINDS}
    for instance in zone.instances:
        if instance is zone.lifecycle:
            tree["lifecycle"].append(Case("lifecycle", instance))
        elif instance.period_no is not None:
            tree["period"].append(Case("period", instance))
        elif instance.id in titles:
            kind, title = titles[instance.id]
            tree[kind].append(Case(kind, instance, title))
        else:
            tree["other"].append(Case("other", instance, instance.process_version.name))
    return {kind: cases for kind, cases in tree.items() if cases}


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
    flows: Sequence[str] = ()

    @property
    def active(self) -> list[str]:
        """Where the instance on screen waits: its open tasks and the events it waits for (none once ended)."""
        return [p for p in self.position.split(",") if p]

    @property
    def cases(self) -> dict[str, list[Case]]:
        return case_tree(self.zone, self.measures, self.experiences)

    def steps_at(self) -> dict[str, list[Event]]:
        """The history of the instance on screen by diagram element: what clicking an element lists."""
        steps: dict[str, list[Event]] = {}
        for event in self.history:
            if event.instance_id == self.instance.id and event.bpmn_id:
                steps.setdefault(event.bpmn_id, []).append(event)
        return steps

    def open_at(self) -> dict[str, list[HumanTask]]:
        """The open tasks of the instance on screen by diagram element."""
        found: dict[str, list[HumanTask]] = {}
        for task in self.open_tasks:
            if task.instance_id == self.instance.id:
                found.setdefault(task.bpmn_id, []).append(task)
        return found

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
                         if t in model.elements and model.element(t).kind in modelxml.HUMAN), None)
            found.append(Upcoming(element, due, then))
    return sorted(found, key=lambda u: u.due)


def trace(session: Session, user: User, zone_id: int, instance_id: int | None = None,
          now: datetime | None = None) -> Trace:
    zone = store.visible_zone(session, user, zone_id)
    if zone is None:
        raise NotFound(Msg("没有这个试验区"))
    now = now or utcnow()
    chosen = [i for i in zone.instances if i.id == instance_id]
    if instance_id is not None and not chosen:
        raise NotFound(Msg("这个试验区没有这个流程实例"))
    instance = chosen[0] if chosen else current_instance(zone)
    model = deploy.model_for(instance.process_version)
    run = _readable(instance)
    lifecycle = deploy.model_for(zone.lifecycle.process_version)
    open_tasks = store.zone_open_tasks(session, zone.id)
    overdue = [t.bpmn_id for t in open_tasks if t.instance_id == instance.id and t.due_at and t.due_at < now]
    experiences, adopted = store.experiences(session, zone.id), store.adoptions(session, zone.id)
    named = {a.zone_id for e in experiences for a in e.adoptions} | {a.experience.zone_id for a in adopted}
    reader = disclosure.Reader(user, zone.instances)
    return Trace(zone, instance.process_version, model, open_tasks,
                 reader.rows(store.history(session, zone.id)), application_element(lifecycle), instance.end_event,
                 instance.position, instance, reader.rows(store.records(session, zone.id)),
                 store.measures(session, zone.id),
                 experiences, adopted, done=run.completed_elements() if run else [],
                 overdue=overdue, upcoming=_upcoming(zone),
                 actionable=frozenset(store.actionable_task_ids(session, user, zone.id)),
                 stuck=timers.stuck(session, zone.id), visible=store.visible_zone_ids(session, user, named),
                 flows=run.taken_flows() if run else [])


SHANGHAI = ZoneInfo("Asia/Shanghai")


def _score(record: ZoneRecord) -> float:
    """The mean of the criterion scores: the first thing the rating table reads."""
    scores = [v for k, v in record.data.items() if k.startswith("score_") and isinstance(v, int | float)]
    return sum(scores) / len(scores) if scores else 0.0


def points_of(records: Sequence[ZoneRecord], instances: Sequence[ProcessInstance]) -> list[Point]:
    """The yearly evaluations as chart points, labelled with the calendar year the supervision year began."""
    starts = {i.id: i.period_start for i in instances}
    points = []
    for record in (r for r in records if r.kind == "evaluation"):
        began = starts.get(record.instance_id) or record.at
        points.append(Point(str(began.astimezone(SHANGHAI).year), str(record.data.get("rating", "")),
                            _score(record), record.at))
    return points


def rating_points(trace: Trace) -> list[Point]:
    """The zone's yearly ratings for its chart."""
    return points_of(trace.records, trace.zone.instances)


def rating_bands(session: Session) -> list[Band]:
    """The rating bands of the mean score, as the newest deployed rating table sets them."""
    version = store.latest_version(session, "zone_supervision")
    found = rating_bands_of(version.decisions if version else {})
    if not found:
        return list(DEFAULT_BANDS)
    return [Band(rating, rating, low, found[i + 1][1] if i + 1 < len(found) else 100.0)
            for i, (rating, low) in enumerate(found)]


def province_labels(session: Session) -> dict[str, tuple[str, str]]:
    """Province code -> (zh, en) labels, from the deployed application form."""
    element = current_application(session)
    field = next((f for f in element.form if f.id == PROVINCE_FIELD), None) if element else None
    return {o.id: (o.label, o.label_en) for o in field.options} if field else {}
