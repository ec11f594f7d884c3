"""Zones and what their years of operation leave behind: records, measures, experiences, adoptions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.models.base import Base, ItemStatus, MeasureKind, ZoneStatus, enum_column, utcnow

if TYPE_CHECKING:
    from workflow.models.accounts import Organisation, User
    from workflow.models.process import ProcessInstance


class Zone(Base):
    __tablename__ = "zone"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    province: Mapped[str] = mapped_column(String(32), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[ZoneStatus] = mapped_column(enum_column(ZoneStatus, "zone_status"), index=True)
    application: Mapped[dict[str, Any]] = mapped_column(default=dict)
    approval_number: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    applicant: Mapped[Organisation] = relationship(lazy="joined")
    instances: Mapped[list[ProcessInstance]] = relationship(back_populates="zone", order_by="ProcessInstance.id")

    @property
    def lifecycle(self) -> ProcessInstance:
        """The process that opened the zone with its application (the first instance)."""
        return self.instances[0]


class ZoneRecord(Base):
    """A result the model asked to keep (``record`` property): reports, ratings, commendations, rectifications."""

    __tablename__ = "zone_record"
    __table_args__ = (Index("ix_zone_record_zone_kind", "zone_id", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    kind: Mapped[str] = mapped_column(String(40))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    period_no: Mapped[int | None]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    person: Mapped[User | None] = relationship(lazy="selectin")

    def label(self, lang: str = "zh") -> str:
        return (self.name_en or self.name) if lang == "en" else self.name


class Measure(Base):
    """An innovation measure (创新措施) of an operating zone."""

    __tablename__ = "measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[MeasureKind] = mapped_column(enum_column(MeasureKind, "measure_kind"))
    departs: Mapped[bool] = mapped_column(default=False)
    unit_concerned: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus, "measure_status"), default=ItemStatus.PENDING)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    zone: Mapped[Zone] = relationship(lazy="joined")


class Experience(Base):
    """A measure or typical case proposed for replication (复制推广); published ones form the catalogue."""

    __tablename__ = "experience"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measure.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus, "experience_status"), default=ItemStatus.PENDING,
                                               index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None]

    zone: Mapped[Zone] = relationship(lazy="joined")
    measure: Mapped[Measure | None] = relationship(lazy="joined")
    adoptions: Mapped[list[Adoption]] = relationship(back_populates="experience", lazy="selectin",
                                                     order_by="Adoption.adopted_at")


class Adoption(Base):
    """A zone adopting a published experience; shown on both zones and on the catalogue entry."""

    __tablename__ = "adoption"
    __table_args__ = (UniqueConstraint("experience_id", "zone_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    experience_id: Mapped[int] = mapped_column(ForeignKey("experience.id"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    adopted_at: Mapped[datetime] = mapped_column(default=utcnow)
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    experience: Mapped[Experience] = relationship(back_populates="adoptions")
    zone: Mapped[Zone] = relationship(lazy="joined")
