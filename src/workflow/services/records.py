"""One record of a zone (a report, a rating, a rectification) in full: every field, who, when, from which task."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from workflow import store
from workflow.errors import Msg, NotFound
from workflow.models import HumanTask, User, Zone, ZoneRecord
from workflow.modelxml import Field
from workflow.services import briefing, deploy


@dataclass(frozen=True)
class RecordPage:
    zone: Zone
    record: ZoneRecord
    section: briefing.Section  # the fields the reader may read, labelled from the model
    task: HumanTask | None  # the task that kept it; None for a step the engine took (a rating)


def detail(session: Session, user: User, zone_id: int, record_id: int) -> RecordPage:
    """A record of a zone the user may see (404 for an unseen zone or another zone's record)."""
    zone = store.visible_zone(session, user, zone_id)
    record = store.zone_record(session, zone_id, record_id) if zone is not None else None
    if zone is None or record is None:
        raise NotFound(Msg("没有这条记录"))
    instance = next(i for i in zone.instances if i.id == record.instance_id)
    section = briefing.of_record(record, deploy.model_for(instance.process_version), ())
    return RecordPage(zone, record, briefing.readable(user, zone, [section])[0],
                      store.task_done_at(session, record.instance_id, record.bpmn_id, record.at))


def table(session: Session, user: User, zone_id: int, lang: str = "zh") -> list[list[object]]:
    """Every record of a zone as rows of one field each (record, period, kind, name, time, actor, field, value)."""
    zone = store.visible_zone(session, user, zone_id)
    if zone is None:
        raise NotFound(Msg("没有这个试验区"))
    models = {i.id: deploy.model_for(i.process_version) for i in zone.instances}
    kept = store.records(session, zone_id)
    found = briefing.readable(user, zone, [briefing.of_record(r, models.get(r.instance_id), ()) for r in kept])
    rows: list[list[object]] = []
    for record, section in zip(kept, found, strict=True):
        for f in section.fields:
            rows.append([record.id, record.period_no or "", record.kind, record.label(lang), record.at.isoformat(),
                         record.actor, f.id, f.label_en if lang == "en" else f.label,
                         _text(f, section.data.get(f.id), lang)])
    return rows


HEADER = ["record_id", "period", "kind", "name", "at", "actor", "field", "label", "value"]


def _text(field: Field, value: object, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(field.option_label(str(v), lang) for v in value)
    return field.option_label(value, lang) if field.type == "enum" and isinstance(value, str) else str(value)
