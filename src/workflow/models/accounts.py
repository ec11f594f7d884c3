"""Organisations, users with their roles, API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.models.base import Base, enum_column, utcnow
from workflow.roles import OrgKind, Role


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind, "org_kind"))
    province: Mapped[str | None] = mapped_column(String(32))

    users: Mapped[list[User]] = relationship(back_populates="organisation")

    def label(self, lang: str = "zh") -> str:
        return (self.name_en or self.name) if lang == "en" else self.name


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))  # notifications are also mailed here when SMTP is set up
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Raised by logout, a password, role or organisation change and deactivation: older sessions end.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                     order_by="UserRole.role")

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    @property
    def role_label(self) -> str:
        """The roles as one string (for history rows), e.g. ``bureau`` or ``hq_clearance,process_owner``."""
        return ",".join(sorted(r.value for r in self.roles))

    def label(self, lang: str = "zh") -> str:
        """How pages name a person: display name (or log-in name) and organisation."""
        return f"{self.display_name or self.username} · {self.organisation.label(lang)}"

    def has(self, *roles: Role) -> bool:
        return self.active and bool(self.roles.intersection(roles))


class UserRole(Base):
    """One role of a user; a user holds one or more."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role_name"), primary_key=True)


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    user: Mapped[User] = relationship(lazy="joined")


class LoginAttempt(Base):
    """Login counters of one account name at one address: failures since the last success, attempts per minute."""

    __tablename__ = "login_attempt"
    __table_args__ = (UniqueConstraint("username", "ip"), Index("ix_login_attempt_last_at", "last_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None]
    window_start: Mapped[datetime]
    window_count: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[datetime]
