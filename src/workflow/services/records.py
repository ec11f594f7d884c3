"""One record of a zone (a report, a rating, a rectification) in full: every field, who, when, from which task."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from workflow import store
from workflow.errors import Msg, NotFound
from workflow.models import HumanTask, User, Zone, ZoneRecord
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
