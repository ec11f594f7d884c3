"""The programme at a glance: zones by status and province, overdue work, latest ratings (all scoped)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow import access
from workflow.models import HumanTask, TaskStatus, User, Zone, ZoneRecord, ZoneStatus, utcnow


@dataclass
class Overview:
    by_province: dict[str, Counter] = field(default_factory=dict)
    overdue: list[HumanTask] = field(default_factory=list)
    ratings: Counter = field(default_factory=Counter)
    rated: dict[int, str] = field(default_factory=dict)

    @property
    def statuses(self) -> list[str]:
        return [s.value for s in ZoneStatus]

    @property
    def busiest(self) -> int:
        return max((n for row in self.by_province.values() for n in row.values()), default=0)


def build(session: Session, user: User, now: datetime | None = None) -> Overview:
    """Only what the user may see: HQ sees the country, a bureau its province, a government its zones."""
    now = now or utcnow()
    result = Overview()
    rows = session.execute(select(Zone.province, Zone.status, func.count()).where(access.zone_scope(user))
                           .group_by(Zone.province, Zone.status)).all()
    for province, status, count in rows:
        result.by_province.setdefault(province, Counter())[status.value] = count
    result.overdue = list(session.scalars(
        select(HumanTask).join(Zone, HumanTask.zone_id == Zone.id)
        .where(HumanTask.status == TaskStatus.OPEN, HumanTask.due_at < now, access.zone_scope(user))
        .order_by(HumanTask.due_at).limit(200)))
    latest = (select(ZoneRecord.zone_id, func.max(ZoneRecord.id).label("last"))
              .where(ZoneRecord.kind == "evaluation").group_by(ZoneRecord.zone_id).subquery())
    records = session.scalars(select(ZoneRecord).join(latest, ZoneRecord.id == latest.c.last)
                              .join(Zone, Zone.id == ZoneRecord.zone_id).where(access.zone_scope(user)))
    for record in records:
        rating = str(record.data.get("rating", ""))
        result.rated[record.zone_id] = rating
        result.ratings[rating] += 1
    return result
