"""The programme at a glance, scoped by the one access rule: zones by province and stage, lead time per stage,
throughput per quarter, overdue work per organisation, ratings over the years per zone."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow import access
from workflow.charts import Point
from workflow.models import (
    CandidateKind,
    HumanTask,
    Organisation,
    ProcessInstance,
    TaskStatus,
    User,
    UserRole,
    Zone,
    ZoneRecord,
    ZoneStatus,
    utcnow,
)
from workflow.roles import OrgKind, Role
from workflow.services.zones import SHANGHAI, points_of

STAGES = ("applying", "recommending", "accepting", "approving")
MAX_SERIES = 8


@dataclass(frozen=True)
class LeadTime:
    """How long zones spent in a stage, in days: how many zones, the median and the 90th percentile."""

    stage: str
    count: int
    median: float
    p90: float


@dataclass
class Overview:
    by_province: dict[str, Counter] = field(default_factory=dict)
    overdue: list[HumanTask] = field(default_factory=list)
    ratings: Counter = field(default_factory=Counter)
    rated: dict[int, str] = field(default_factory=dict)
    lead_times: list[LeadTime] = field(default_factory=list)
    throughput: list[tuple[str, int, int, int]] = field(default_factory=list)  # quarter, filed, approved, rejected
    overdue_by_org: list[tuple[Organisation, int]] = field(default_factory=list)
    series: list[tuple[str, list[Point]]] = field(default_factory=list)
    rated_zones: int = 0
    overdue_total: int = 0

    @property
    def statuses(self) -> list[str]:
        return [s.value for s in ZoneStatus]

    @property
    def busiest(self) -> int:
        return max((n for row in self.by_province.values() for n in row.values()), default=0)

    @property
    def by_status(self) -> Counter:
        total: Counter = Counter()
        for row in self.by_province.values():
            total.update(row)
        return total

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (the value at or below which ``share`` of the values lie)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def _stage_spans(tasks: list[HumanTask], ended: datetime | None) -> dict[str, timedelta]:
    """Time in each stage for one zone: a stage lasts from its first task to the first task of the next stage;
    the last one until the lifecycle ended (a stage still under way is not counted)."""
    spans: dict[str, timedelta] = defaultdict(timedelta)
    runs: list[tuple[str, datetime]] = []
    for task in tasks:
        if not runs or runs[-1][0] != task.stage:
            runs.append((task.stage, task.created_at))
    for (stage, start), (_, end) in zip(runs, runs[1:], strict=False):
        spans[stage] += end - start
    if runs and ended is not None:
        spans[runs[-1][0]] += ended - runs[-1][1]
    return spans


def lead_times(session: Session, user: User) -> list[LeadTime]:
    rows = session.execute(select(HumanTask, ProcessInstance.completed, ProcessInstance.updated_at)
                           .join(ProcessInstance, HumanTask.instance_id == ProcessInstance.id)
                           .join(Zone, HumanTask.zone_id == Zone.id)
                           .where(HumanTask.stage.in_(STAGES), access.zone_scope(user))
                           .order_by(HumanTask.instance_id, HumanTask.created_at, HumanTask.id)).all()
    per_instance: dict[int, tuple[list[HumanTask], datetime | None]] = {}
    for task, completed, updated in rows:
        per_instance.setdefault(task.instance_id, ([], updated if completed else None))[0].append(task)
    days: dict[str, list[float]] = defaultdict(list)
    for tasks, ended in per_instance.values():
        for stage, span in _stage_spans(tasks, ended).items():
            days[stage].append(span.total_seconds() / 86400)
    return [LeadTime(s, len(days[s]), statistics.median(days[s]), percentile(days[s], 0.9))
            for s in STAGES if days[s]]


def _quarter(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{local.year} Q{(local.month - 1) // 3 + 1}"


def throughput(session: Session, user: User) -> list[tuple[str, int, int, int]]:
    """Per quarter: applications filed, zones approved, zones rejected (when the lifecycle ended so)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    zones = session.scalars(select(Zone).where(access.zone_scope(user))).all()
    for zone in zones:
        counts[_quarter(zone.created_at)][0] += 1
        if zone.approved_at:
            counts[_quarter(zone.approved_at)][1] += 1
        elif zone.status == ZoneStatus.REJECTED and zone.instances and zone.lifecycle.completed:
            counts[_quarter(zone.lifecycle.updated_at)][2] += 1
    return [(q, *counts[q]) for q in sorted(counts)]


def _responsible(task: HumanTask, by_role: dict[str, set[int]], orgs: dict[int, Organisation],
                 users: dict[str, int]) -> set[int]:
    """The organisations that owe an open task: who claimed it, else whoever its candidates are."""
    if task.claimed_by is not None:
        return {task.claimed_by.organisation_id}
    found: set[int] = set()
    for candidate in task.candidates:
        if candidate.kind == CandidateKind.USER:
            found.update({users[candidate.name]} if candidate.name in users else set())
        elif candidate.name == Role.LOCAL_GOV:
            found.add(task.zone.applicant_id)
        else:
            found.update(o for o in by_role.get(candidate.name, set())
                         if orgs[o].kind != OrgKind.BUREAU or orgs[o].province == task.zone.province)
    return found


def overdue_by_org(session: Session, tasks: list[HumanTask]) -> list[tuple[Organisation, int]]:
    orgs = {o.id: o for o in session.scalars(select(Organisation))}
    by_role: dict[str, set[int]] = defaultdict(set)
    for role, org_id in session.execute(select(UserRole.role, User.organisation_id)
                                        .join(User, UserRole.user_id == User.id).where(User.active.is_(True))):
        by_role[role.value].add(org_id)
    users = dict(session.execute(select(User.username, User.organisation_id)).all())
    counts: Counter = Counter()
    for task in tasks:
        counts.update(_responsible(task, by_role, orgs, users))
    return [(orgs[o], n) for o, n in sorted(counts.items(), key=lambda c: (-c[1], orgs[c[0]].name))]


def rating_series(session: Session, user: User) -> tuple[list[tuple[str, list[Point]]], int]:
    """The zones most recently evaluated (at most MAX_SERIES), each with its evaluations by year."""
    records = session.scalars(select(ZoneRecord).join(Zone, Zone.id == ZoneRecord.zone_id)
                              .where(ZoneRecord.kind == "evaluation", access.zone_scope(user))
                              .order_by(ZoneRecord.at, ZoneRecord.id)).all()
    by_zone: dict[int, list[ZoneRecord]] = defaultdict(list)
    for record in records:
        by_zone[record.zone_id].append(record)
    newest = sorted(by_zone, key=lambda z: by_zone[z][-1].at, reverse=True)[:MAX_SERIES]
    zones = {z.id: z for z in session.scalars(select(Zone).where(Zone.id.in_(newest)))}
    series = [(zones[z].name, points_of(by_zone[z], zones[z].instances)) for z in sorted(newest, key=lambda z:
                                                                                        zones[z].name)]
    return series, len(by_zone)


def build(session: Session, user: User, now: datetime | None = None) -> Overview:
    """Only what the user may see: HQ sees the country, a bureau its province, a government its zones."""
    now = now or utcnow()
    result = Overview()
    rows = session.execute(select(Zone.province, Zone.status, func.count()).where(access.zone_scope(user))
                           .group_by(Zone.province, Zone.status)).all()
    for province, status, count in rows:
        result.by_province.setdefault(province, Counter())[status.value] = count
    overdue = list(session.scalars(
        select(HumanTask).join(Zone, HumanTask.zone_id == Zone.id)
        .where(HumanTask.status == TaskStatus.OPEN, HumanTask.due_at < now, access.zone_scope(user))
        .order_by(HumanTask.due_at)))
    result.overdue, result.overdue_total = overdue[:200], len(overdue)
    latest = (select(ZoneRecord.zone_id, func.max(ZoneRecord.id).label("last"))
              .where(ZoneRecord.kind == "evaluation").group_by(ZoneRecord.zone_id).subquery())
    records = session.scalars(select(ZoneRecord).join(latest, ZoneRecord.id == latest.c.last)
                              .join(Zone, Zone.id == ZoneRecord.zone_id).where(access.zone_scope(user)))
    for record in records:
        rating = str(record.data.get("rating", ""))
        result.rated[record.zone_id] = rating
        result.ratings[rating] += 1
    result.lead_times = lead_times(session, user)
    result.throughput = throughput(session, user)
    result.overdue_by_org = overdue_by_org(session, overdue)
    result.series, result.rated_zones = rating_series(session, user)
    return result
