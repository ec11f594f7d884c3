"""Replication (复制推广): proposals from bureaus, 通关司's review, the catalogue, adoption by other zones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import forms, store
from workflow.errors import Conflict, InvalidForm, Msg, NotFound, PermissionDenied
from workflow.models import Adoption, Experience, ItemStatus, Measure, User, Zone, ZoneStatus, utcnow
from workflow.modelxml import Element
from workflow.roles import Role
from workflow.services import commit, failures, progress

PROCESS_ID = "replication"


def _zone(session: Session, user: User, zone_id: int) -> Zone:
    zone = store.visible_zone(session, user, zone_id)
    if zone is None:
        raise NotFound(Msg("没有这个试验区"))
    return zone


REFUSAL = Msg("只有该试验区所在省的直属局可以提出复制推广建议")


def form(session: Session, user: User, zone_id: int) -> tuple[Zone, Element]:
    """The zone and the proposal form, if the user may propose for it (read from the diagram)."""
    zone = _zone(session, user, zone_id)
    return zone, progress.form_for(session, user, PROCESS_ID, REFUSAL)


def propose(session: Session, user: User, zone_id: int, raw: Mapping[str, Any], measure_id: int | None = None,
            *, strict: bool = False, now: datetime | None = None) -> Experience:
    """Propose a measure of this zone, or a typical case, for the catalogue."""
    now = now or utcnow()
    zone = _zone(session, user, zone_id)
    measure = None
    if measure_id is not None:
        measure = session.get(Measure, measure_id) if 0 < measure_id <= store.MAX_ID else None
        if measure is None or measure.zone_id != zone.id:
            raise InvalidForm(Msg("表单有误，请按提示修改"), {"measure": Msg("只能推广本试验区的创新措施")})
        if measure.status != ItemStatus.IN_EFFECT:
            raise InvalidForm(Msg("表单有误，请按提示修改"), {"measure": Msg("只有已实施的创新措施可以推广")})
    data = forms.clean(progress.form_for(session, user, PROCESS_ID, REFUSAL).form, raw, strict=strict)
    with failures.reported(session, "proposing an experience", zone.id, actor=user):
        version, run, task = progress.begin_for(session, user, zone, PROCESS_ID, REFUSAL, now,
                                                measure_id=measure.id if measure else None)
        experience = Experience(zone=zone, measure=measure, title=data["title"], data=dict(data),
                                proposed_at=now, proposed_by_id=user.id)
        session.add(experience)
        progress.finish_first(session, user, zone, version, run, task, data, now, subject=experience)
        commit(session)
    return experience


def catalogue(session: Session) -> Sequence[Experience]:
    """Published experiences: every official may read them."""
    return session.scalars(select(Experience).where(Experience.status == ItemStatus.PUBLISHED)
                           .order_by(Experience.published_at.desc())).all()


def adoptable_zones(session: Session, user: User) -> list[Zone]:
    """Operating zones the user acts for (its bureau's province, or its own as a government)."""
    if not user.has(Role.BUREAU, Role.LOCAL_GOV):
        return []
    return [z for z in store.visible_zones(session, user) if z.status == ZoneStatus.OPERATING]


def adopt(session: Session, user: User, experience_id: int, zone_id: int, note: str = "",
          now: datetime | None = None) -> Adoption:
    """Link a published experience to a zone that takes it up; both sides show the link."""
    experience = session.get(Experience, experience_id) if 0 < experience_id <= store.MAX_ID else None
    if experience is None or experience.status != ItemStatus.PUBLISHED:
        raise NotFound(Msg("目录中没有这项经验"))
    zone = _zone(session, user, zone_id)
    if zone not in adoptable_zones(session, user):
        raise PermissionDenied(Msg("只能为本省运行中的试验区借鉴推广经验"))
    if zone.id == experience.zone_id:
        raise InvalidForm(Msg("表单有误，请按提示修改"), {"zone": Msg("这是该经验的来源试验区")})
    if any(a.zone_id == zone.id for a in experience.adoptions):
        raise Conflict(Msg("该试验区已借鉴这项经验"))
    if len(note) > 4000:
        raise InvalidForm(Msg("表单有误，请按提示修改"), {"note": Msg("最多 %(n)s 个字符", n=4000)})
    adoption = Adoption(experience=experience, zone=zone, note=note.strip(), adopted_at=now or utcnow(),
                        adopted_by_id=user.id)
    session.add(adoption)
    commit(session)
    return adoption
