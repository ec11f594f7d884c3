"""The declarative base, the UTC datetime column type, and the enums the rows use."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=UTC)  # sorts tasks without a due date last


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC and always hands back aware datetimes, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime}


class ZoneStatus(enum.StrEnum):
    APPLYING = "applying"
    RECOMMENDING = "recommending"
    ACCEPTING = "accepting"
    APPROVING = "approving"
    OPERATING = "operating"
    REJECTED = "rejected"
    REVOKED = "revoked"


class MeasureKind(enum.StrEnum):
    INSTITUTIONAL = "institutional"
    MODEL = "model"
    MEASURE = "measure"


class ItemStatus(enum.StrEnum):
    """State of a measure or a proposed experience, set by the end events of its process."""

    PENDING = "pending"
    IN_EFFECT = "in_effect"
    PUBLISHED = "published"
    REJECTED = "rejected"


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class CandidateKind(enum.StrEnum):
    GROUP = "group"
    USER = "user"


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    """Enums stored as their values in a plain string column (portable, no native enum types)."""
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])
