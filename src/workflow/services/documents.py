"""A zone's files and comments: adding them (by officials who see the zone), listing, downloading."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow import access, characters, documents, files, store
from workflow.errors import InvalidForm, Msg, NotFound, PayloadTooLarge, PermissionDenied, UnsupportedMediaType
from workflow.files import Upload
from workflow.models import Attachment, Comment, Event, HumanTask, User, Zone, utcnow
from workflow.modelxml import Field
from workflow.services import commit

MAX_COMMENT = 4000


def _zone(session: Session, user: User, zone_id: int, adding: bool = False) -> Zone:
    """The zone if the user may see it (404 otherwise); adding to it also needs an official (403)."""
    zone = store.visible_zone(session, user, zone_id)
    if zone is None:
        raise NotFound(Msg("没有这个试验区"))
    if adding and not access.may_contribute(user):
        raise PermissionDenied(Msg("只有业务人员可以在试验区添加附件或意见"))
    return zone


def _event(kind: str, user: User, zone: Zone, now: datetime, **fields: Any) -> Event:
    return Event(kind=kind, at=now, zone_id=zone.id, actor_id=user.id, actor=user.username, role=user.role_label,
                 organisation=user.organisation.name, organisation_en=user.organisation.name_en, **fields)


def reference(item: Attachment) -> dict[str, Any]:
    """How task data and the history name a file."""
    return {"attachment": item.id, "zone": item.zone_id, "name": item.filename, "type": item.content_type,
            "size": item.size, "sha256": item.sha256}


def keep(session: Session, user: User, zone: Zone, upload: Upload, limit: int, now: datetime,
         task: HumanTask | None = None, field: str | None = None) -> Attachment:
    """Check the file (413, 415), store its bytes once by hash, attach it, note it in the history; no commit."""
    kind = files.check(upload, limit)
    if zone.id is None:
        session.flush()  # a zone being filed with its application gets its id now
    documents.keep_blob(session, upload.sha256, upload.content)
    item = Attachment(zone_id=zone.id, sha256=upload.sha256, filename=files.safe_name(upload.filename, kind),
                      content_type=kind, size=len(upload.content), task_id=task.id if task else None, field=field,
                      uploaded_at=now, uploaded_by_id=user.id)
    session.add(item)
    session.flush()
    names = {"bpmn_id": task.bpmn_id, "task_name": task.name, "task_name_en": task.name_en} if task else {}
    session.add(_event("attachment_added", user, zone, now, instance_id=task.instance_id if task else None,
                       data=reference(item), **names))
    return item


def attach(session: Session, user: User, zone_id: int, upload: Upload, limit: int,
           now: datetime | None = None) -> Attachment:
    """Attach a file to a zone directly (the zone page, the API)."""
    zone = _zone(session, user, zone_id, adding=True)
    item = keep(session, user, zone, upload, limit, now or utcnow())
    commit(session)
    return item


def listing(session: Session, user: User, zone_id: int) -> tuple[Zone, Sequence[Attachment]]:
    zone = _zone(session, user, zone_id)
    return zone, documents.attachments(session, zone.id)


def download(session: Session, user: User, zone_id: int, attachment_id: int) -> tuple[Attachment, bytes]:
    """A file and its bytes, for those who may see its zone."""
    zone = _zone(session, user, zone_id)
    item = documents.attachment(session, zone.id, attachment_id)
    if item is None:
        raise NotFound(Msg("没有这个附件"))
    return item, documents.content(session, item.sha256)


def check_fields(form: Sequence[Field], data: Mapping[str, Any], limit: int) -> None:
    """Uploads in a task's form: too large or of a type not allowed is a field error (400), before anything is kept."""
    errors: dict[str, str | Msg] = {}
    for field in form:
        value = data.get(field.id)
        if field.type == "file" and isinstance(value, Upload):
            try:
                files.check(value, limit)
            except (PayloadTooLarge, UnsupportedMediaType) as exc:
                errors[field.id] = exc.message
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)


def take_fields(session: Session, user: User, zone: Zone, task: HumanTask | None, form: Sequence[Field],
                data: dict[str, Any], limit: int, now: datetime) -> dict[str, Any]:
    """Task data with each file field's upload kept, or attachment id (the API's way) resolved, as a reference."""
    errors: dict[str, str | Msg] = {}
    for field in form:
        value = data.get(field.id)
        if field.type != "file" or value is None:
            continue
        if isinstance(value, Upload):
            data[field.id] = reference(keep(session, user, zone, value, limit, now, task, field.id))
            continue
        found = documents.attachment(session, zone.id, value) if zone.id is not None else None
        if found is None:
            errors[field.id] = Msg("这个试验区没有这个附件")
        else:
            data[field.id] = reference(found)
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    return data


def _task(session: Session, user: User, zone: Zone, task_id: Any) -> HumanTask | None:
    """The task a comment is about: one of this zone's that the user may see (404 otherwise)."""
    if task_id is None:
        return None
    if not isinstance(task_id, int) or isinstance(task_id, bool):
        raise InvalidForm(Msg("表单有误，请按提示修改"), {"task_id": Msg("应为整数")})
    task = store.visible_task(session, user, task_id)
    if task is None or task.zone_id != zone.id:
        raise NotFound(Msg("没有这个任务"))
    return task


def comment(session: Session, user: User, zone_id: int, body: Any, now: datetime | None = None,
            task_id: Any = None) -> Comment:
    """Add a comment to a zone (about one of its tasks); empty, too long or with control characters is a 400."""
    zone = _zone(session, user, zone_id, adding=True)
    task = _task(session, user, zone, task_id)
    text = body.strip().replace("\r\n", "\n") if isinstance(body, str) else ""
    if not text:
        problem: Msg | None = Msg("意见不能为空")
    elif len(text) > MAX_COMMENT:
        problem = Msg("意见最多 %(n)s 个字符", n=MAX_COMMENT)
    else:
        problem = characters.text_problem(text, multiline=True)
    if problem:
        raise InvalidForm(problem, {"body": problem})
    now = now or utcnow()
    item = Comment(zone_id=zone.id, body=text, at=now, author_id=user.id, task_id=task.id if task else None)
    session.add(item)
    session.flush()
    names = {"instance_id": task.instance_id, "bpmn_id": task.bpmn_id, "task_name": task.name,
             "task_name_en": task.name_en} if task else {}
    session.add(_event("comment_added", user, zone, now, comment=text, data={"comment": item.id}, **names))
    commit(session)
    return item


def comments(session: Session, user: User, zone_id: int) -> Sequence[Comment]:
    return documents.comments(session, _zone(session, user, zone_id).id)


@dataclass(frozen=True)
class Papers:
    """What the zone page shows of its files and comments, and whether the user may add to them."""

    attachments: Sequence[Attachment]
    comments: Sequence[Comment]
    may_add: bool


def on_zone(session: Session, user: User, zone_id: int) -> Papers:
    zone = _zone(session, user, zone_id)
    return Papers(documents.attachments(session, zone.id), documents.comments(session, zone.id),
                  access.may_contribute(user))
