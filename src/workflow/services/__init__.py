"""Use cases, one module per noun; each public function commits once or not at all."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from workflow.errors import Conflict, Msg, StaleInstance


def commit(session: Session) -> None:
    """Commit, turning a lost race into a clean 409 and leaving nothing half-saved."""
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise StaleInstance(Msg("该流程刚被他人处理，请刷新后重试")) from None
    except IntegrityError:
        session.rollback()
        raise Conflict(Msg("数据与现有记录冲突，请刷新后重试")) from None
