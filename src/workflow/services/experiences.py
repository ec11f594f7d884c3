"""Replication (复制推广): proposals from bureaus, 通关司's review, the catalogue, adoption by other zones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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


@dataclass
class Proposal:
    """The proposal form of a zone: the measure it proposes (if any) and the values it starts with."""

    zone: Zone
    element: Element
    measure: Measure | None = None
    draft: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, Msg] = field(default_factory=dict)


def form(session: Session, user: User, zone_id: int, measure_id: int | None = None, kind: str = "") -> Proposal:
    """The proposal form (read from the diagram), if the user may propose for the zone; a measure's starts from it."""
    zone = _zone(session, user, zone_id)
    element = progress.form_for(session, user, PROCESS_ID, REFUSAL)
    proposal = Proposal(zone, element)
    try:
        proposal.measure = _measure(session, zone, measure_id)
    except InvalidForm as exc:
        proposal.problems = dict(exc.fields)
    measure = proposal.measure
    start = ({"title": measure.title, "kind": "measure", "summary": measure.data.get("description") or ""}
             if measure else {"kind": kind})
    fields = {f.id: f for f in element.form}
    proposal.draft = {k: v for k, v in start.items() if k in fields and v
                      and (fields[k].type != "enum" or v in {o.id for o in fields[k].options})}
    return proposal


def _measure(session: Session, zone: Zone, measure_id: int | None) -> Measure | None:
    """The zone's measure in effect that a proposal is about; a field message for any other."""
    if measure_id is None:
        return None
    measure = session.get(Measure, measure_id) if 0 < measure_id <= store.MAX_ID else None
    if measure is None or measure.zone_id != zone.id:
        raise InvalidForm(Msg("表单有误，请按提示修改"), {"measure": Msg("只能推广本试验区的创新措施")})
    if measure.status != ItemStatus.IN_EFFECT:
        raise InvalidForm(Msg("表单有误，请按提示修改"), {"measure": Msg("只有已实施的创新措施可以推广")})
    return measure


def propose(session: Session, user: User, zone_id: int, raw: Mapping[str, Any], measure_id: int | None = None,
            *, strict: bool = False, now: datetime | None = None) -> Experience:
    """Propose a measure of this zone, or a typical case, for the catalogue."""
    now = now or utcnow()
    zone = _zone(session, user, zone_id)
    measure = _measure(session, zone, measure_id)
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


@dataclass
class Catalogue:
    """The catalogue as one official sees it."""

    items: Sequence[Experience]
    visible: frozenset[int]               # the zones (sources, adopters) this official may open
    candidates: dict[int, list[Zone]]     # per entry: this official's zones that may still adopt it


def catalogue_for(session: Session, user: User) -> Catalogue:
    """Published experiences with what this official may open and where each may still be adopted."""
    items = catalogue(session)
    mine = adoptable_zones(session, user)
    named = {e.zone_id for e in items} | {a.zone_id for e in items for a in e.adoptions}
    candidates = {e.id: [z for z in mine if z.id != e.zone_id and all(a.zone_id != z.id for a in e.adoptions)]
                  for e in items}
    return Catalogue(items, store.visible_zone_ids(session, user, named), candidates)


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
