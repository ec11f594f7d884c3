"""What a task shows beside its form: the earlier data its ``show`` property names, read-only and labelled."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow import store
from workflow.engine import Model
from workflow.models import Event, HumanTask, ProcessInstance, User, Zone, ZoneRecord
from workflow.modelxml import Element, Field
from workflow.services import deploy, disclosure, zones

DEFAULT = "application, records"  # what a task without a ``show`` property shows
APPLICATION, RECORDS, MEASURE = "application", "records", "measure"


@dataclass(frozen=True)
class Section:
    """One earlier step's data as the model labels it, with who entered it and when."""

    name: str
    name_en: str
    fields: tuple[Field, ...]
    data: Mapping[str, Any]
    at: datetime | None = None
    person: User | None = None
    actor: str = ""
    organisation: str = ""
    organisation_en: str = ""
    record_id: int | None = None
    instance_id: int | None = None
    bpmn_id: str = ""  # the step that set the data, whose form says who may read each field

    def label(self, lang: str = "zh") -> str:
        return (self.name_en or self.name) if lang == "en" else self.name

    def organisation_label(self, lang: str = "zh") -> str:
        return (self.organisation_en or self.organisation) if lang == "en" else self.organisation


def entries(spec: str) -> list[tuple[str, tuple[str, ...]]]:
    """``show`` parsed: (source, fields) per comma-separated entry; ``task: f1 f2`` keeps only those fields."""
    found = []
    for entry in (e.strip() for e in spec.split(",")):
        source, _, fields = entry.partition(":")
        if source.strip():
            found.append((source.strip(), tuple(fields.split())))
    return found


def spec_of(element: Element) -> str:
    """The element's ``show`` property; the default when it has none."""
    return dict(element.properties).get("show", DEFAULT)


def sections(session: Session, user: User, task: HumanTask, element: Element) -> list[Section]:
    """The sections ``show`` names, in its order, with the fields ``user`` may read; sources without data left out."""
    found: list[Section] = []
    wanted = entries(spec_of(element))
    model = deploy.model_for(task.instance.process_version)
    steps = store.latest_steps(session, task.instance_id, [s for s, _ in wanted])
    for source, fields in wanted:
        if source == APPLICATION:
            found.extend(_application(session, task.zone, fields))
        elif source == RECORDS:
            found.extend(_records(session, task.zone_id, task.instance.period_no, fields))
        elif source == MEASURE:
            found.extend(_measure(session, task.instance_id, fields))
        elif source in steps:
            found.append(from_event(steps[source], model, fields))
    return readable(user, task.zone, found)


def readable(user: User, zone: Zone, found: Sequence[Section]) -> list[Section]:
    """The sections with only the fields ``user`` may read (see :mod:`workflow.services.disclosure`)."""
    reader = disclosure.Reader(user, zone.instances)
    return [replace(s, fields=tuple(f for f in s.fields if f.id not in reader.hidden(s.instance_id, s.bpmn_id)))
            for s in found]


def _application(session: Session, zone: Zone, fields: Sequence[str]) -> list[Section]:
    lifecycle = zone.lifecycle
    model = deploy.model_for(lifecycle.process_version)
    element = zones.application_element(model)
    if element is None:
        return []
    step = store.latest_steps(session, lifecycle.id, [element.id]).get(element.id)
    if step is None:
        return [Section(element.name, element.name_en, labelled(model, element.id, zone.application, fields),
                        zone.application, instance_id=lifecycle.id, bpmn_id=element.id)]
    return [from_event(step, model, fields)]


def _records(session: Session, zone_id: int, period_no: int | None, fields: Sequence[str]) -> list[Section]:
    found, models = [], {}
    for record in store.period_records(session, zone_id, period_no):
        if record.instance_id not in models:
            instance = session.get(ProcessInstance, record.instance_id)
            models[record.instance_id] = deploy.model_for(instance.process_version) if instance else None
        found.append(of_record(record, models[record.instance_id], fields))
    return found


def _measure(session: Session, instance_id: int, fields: Sequence[str]) -> list[Section]:
    measure = store.measure_of(session, instance_id)
    instance = session.get(ProcessInstance, measure.instance_id) if measure and measure.instance_id else None
    if measure is None or instance is None:
        return []
    model = deploy.model_for(instance.process_version)
    first = model.first_task()
    step = store.latest_steps(session, instance.id, [first.id]).get(first.id) if first else None
    return [from_event(step, model, fields)] if step else []


def from_event(event: Event, model: Model, fields: Sequence[str] = ()) -> Section:
    """What one step set, labelled from the model, with who and when."""
    return Section(event.task_name, event.task_name_en, labelled(model, event.bpmn_id or "", event.data, fields),
                   event.data, event.at, event.person, event.actor if event.kind == "task_completed" else "",
                   event.organisation, event.organisation_en, instance_id=event.instance_id,
                   bpmn_id=event.bpmn_id or "")


def of_record(record: ZoneRecord, model: Model | None, fields: Sequence[str]) -> Section:
    """A record's data, labelled from the model, with who and when."""
    shown = labelled(model, record.bpmn_id, record.data, fields)
    return Section(record.name, record.name_en, shown, record.data, record.at, record.person, record.actor,
                   record_id=record.id, instance_id=record.instance_id, bpmn_id=record.bpmn_id)


def labelled(model: Model | None, bpmn_id: str, data: Mapping[str, Any],
             fields: Sequence[str] = ()) -> tuple[Field, ...]:
    """The fields to show for data an element set: its form's order, then other keys, labelled from the model.

    A key that is no field of the element's form takes the element's ``label.KEY`` / ``label_en.KEY``
    properties, else the label of a form field of the same id elsewhere in the model (the scores a rating keeps).
    """
    element = model.elements.get(bpmn_id) if model else None
    own = {f.id: f for f in element.form} if element else {}
    keys = list(fields) or [k for k in own if k in data] + [k for k in data if k not in own]
    return tuple(own.get(k) or _declared(k, element) or _elsewhere(model, k) or Field(k, k, k, "string")
                 for k in keys)


def _elsewhere(model: Model | None, key: str) -> Field | None:
    for element in model.elements.values() if model else ():
        for field in element.form:
            if field.id == key:
                return field
    return None


def _declared(key: str, element: Element | None) -> Field | None:
    label = element.prop(f"label.{key}") if element else ""
    return Field(key, label, element.prop(f"label_en.{key}") or label, "string") if label and element else None
