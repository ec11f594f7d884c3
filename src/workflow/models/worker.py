"""The timer workers' heartbeats: when each last passed, how long it took, how often passes failed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow.models.base import Base, utcnow


class WorkerBeat(Base):
    """One running ``workflow worker`` (host:pid); /readyz and /metrics read these rows."""

    __tablename__ = "worker_heartbeat"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    interval_s: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_pass_at: Mapped[datetime | None] = mapped_column(index=True)  # the end of the last pass that completed
    last_duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    passes: Mapped[int] = mapped_column(default=0)
    failed_passes: Mapped[int] = mapped_column(default=0)  # passes that ended in an error (bug or outage)
    failed_instances: Mapped[int] = mapped_column(default=0)  # instances whose timers failed, summed over passes
