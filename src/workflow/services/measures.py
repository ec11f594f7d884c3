"""Innovation measures (创新措施) of operating zones: filed by the zone's bureau or government."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow import forms, store
from workflow.errors import Conflict, Msg, NotFound
from workflow.models import Measure, MeasureKind, User, Zone, ZoneStatus, utcnow
from workflow.modelxml import Element
from workflow.services import commit, failures, progress

PROCESS_ID = "innovation_measure"


def _zone_for(session: Session, user: User, zone_id: int) -> Zone:
    zone = store.visible_zone(session, user, zone_id)
    if zone is None:
        raise NotFound(Msg("没有这个试验区"))
    if zone.status != ZoneStatus.OPERATING:
        raise Conflict(Msg("只有运行中的试验区才能填报创新措施（当前：%(s)s）", s=zone.status.value))
    return zone


REFUSAL = Msg("只有该试验区的直属局或地方政府可以填报创新措施")


def form(session: Session, user: User, zone_id: int) -> tuple[Zone, Element]:
    """The zone and the measure form, if the user may file one for it (read from the diagram)."""
    zone = _zone_for(session, user, zone_id)
    return zone, progress.form_for(session, user, PROCESS_ID, REFUSAL)


def file(session: Session, user: User, zone_id: int, raw: Mapping[str, Any], *, strict: bool = False,
         now: datetime | None = None) -> Measure:
    """Record a measure; one that departs from the rules goes to the HQ unit concerned for approval."""
    now = now or utcnow()
    zone, element = form(session, user, zone_id)
    data = forms.clean(element.form, raw, strict=strict)
    with failures.reported(session, "filing a measure", zone.id, actor=user):
        version, run, task = progress.begin_for(session, user, zone, PROCESS_ID, REFUSAL, now)
        measure = Measure(zone=zone, title=data["title"], kind=MeasureKind(data["kind"]),
                          departs=bool(data.get("departs_from_rules")), unit_concerned=data.get("unit_concerned"),
                          data=dict(data), filed_at=now, filed_by_id=user.id)
        session.add(measure)
        progress.finish_first(session, user, zone, version, run, task, data, now, subject=measure)
        commit(session)
    return measure
