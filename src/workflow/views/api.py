"""The JSON API (/api/v1): bearer tokens, the inbox and its saved filters, notifications, tasks, zones, processes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from workflow import inputs, openapi
from workflow.errors import BadRequest, InvalidForm, Msg, NotAuthenticated, UnsupportedMediaType
from workflow.services import (
    documents,
    eventlog,
    handover,
    inbox,
    logins,
    notifications,
    records,
    startable,
    tasks,
    zones,
)
from workflow.views import query_id, upload
from workflow.views import representations as rep
from workflow.web import attachment_limit, attachment_response, db_session, lang

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC = {"api.token", "api.openapi_document"}


@bp.before_request
def _authenticate() -> None:
    """Only bearer tokens count here: a browser's session cookie never authorises an API call."""
    g.user = None
    if request.endpoint in PUBLIC:
        inputs.check_fields(request.args.lists())
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated(Msg("需要 Authorization: Bearer 令牌（POST /api/v1/token 获取）"))
    g.token = token.strip()
    g.user = logins.user_for_token(db_session(), g.token)
    inputs.check_fields(request.args.lists())


def json_body(*allowed: str) -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(Msg("请求体须为 application/json"))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(Msg("请求体须为 JSON 对象"))
    extra = set(data) - set(allowed) if allowed else set()
    if extra:
        raise InvalidForm(Msg("请求体有未知字段"), {k: Msg("不是此请求的字段") for k in extra})
    return data


def _page() -> tuple[int, int]:
    errors: dict[str, Msg] = {}
    limit = inputs.bounded(request.args, "limit", 50, 1, 200, errors)
    offset = inputs.bounded(request.args, "offset", 0, 0, 10**9, errors)
    if errors:
        raise InvalidForm(Msg("查询参数有误"), errors)
    return limit or 0, offset or 0


@bp.post("/token")
def token():
    data = json_body("username", "password")
    username, password = data.get("username"), data.get("password")
    errors = {k: Msg("必填项，应为文本") for k, v in (("username", username), ("password", password))
              if not isinstance(v, str) or not v}
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    issued, expires = logins.issue_token(db_session(), username, password, ip=request.remote_addr or "")
    return jsonify(token=issued, expires_at=rep.iso(expires)), 201


@bp.delete("/token")
def revoke_token():
    """Log out of the API: the bearer token of this request stops working."""
    logins.revoke_token(db_session(), g.token)
    return Response(status=204)


@bp.get("/tasks")
def task_list():
    page = inbox.page(db_session(), g.user, request.args.to_dict())
    return jsonify(items=[rep.task(t, lang(), g.user) for t in page.tasks], total=page.total, counts=page.counts,
                   limit=page.query.limit, offset=page.query.offset)


@bp.get("/tasks/<int:task_id>")
def task_detail(task_id: int):
    page = tasks.page(db_session(), g.user, task_id)
    return jsonify(**rep.task(page.task, lang(), g.user), form=rep.form(page.element, lang()))


@bp.post("/tasks/<int:task_id>/complete")
def task_complete(task_id: int):
    data = json_body("data").get("data")
    if not isinstance(data, dict):
        raise InvalidForm(Msg("表单有误，请按提示修改"), {"data": Msg("必填项，应为 JSON 对象")})
    done = tasks.complete(db_session(), g.user, task_id, data, strict=True, limit=attachment_limit())
    return jsonify(rep.task(done, lang()))


@bp.post("/tasks/<int:task_id>/claim")
def task_claim(task_id: int):
    return jsonify(rep.task(tasks.claim(db_session(), g.user, task_id), lang()))


@bp.post("/tasks/<int:task_id>/unclaim")
def task_unclaim(task_id: int):
    return jsonify(rep.task(tasks.unclaim(db_session(), g.user, task_id), lang()))


@bp.post("/tasks/<int:task_id>/delegate")
def task_delegate(task_id: int):
    return jsonify(rep.task(handover.delegate(db_session(), g.user, task_id, json_body("to").get("to", "")), lang(),
                            g.user))


@bp.post("/tasks/<int:task_id>/resolve")
def task_resolve(task_id: int):
    comment = json_body("comment").get("comment", "")
    return jsonify(rep.task(handover.resolve(db_session(), g.user, task_id, comment), lang(), g.user))


@bp.post("/tasks/<int:task_id>/reassign")
def task_reassign(task_id: int):
    data = json_body("to", "reason")
    task = handover.reassign(db_session(), g.user, task_id, data.get("to", ""), data.get("reason", ""))
    return jsonify(rep.task(task, lang(), g.user))


@bp.get("/substitutes")
def substitute_list():
    rows = handover.substitutes(db_session(), g.user)
    return jsonify(items=[rep.substitute(r) for r in rows], total=len(rows))


@bp.post("/substitutes")
def substitute_create():
    data = {k: v if isinstance(v, str) else "" for k, v in json_body("absentee", "substitute", "starts_on",
                                                                  "ends_on").items()}
    row = handover.add_substitute(db_session(), g.user, data.get("substitute", ""),
                                  inputs.date_param(data, "starts_on"), inputs.date_param(data, "ends_on"),
                                  data.get("absentee", ""))
    return jsonify(rep.substitute(row)), 201


@bp.get("/notifications")
def notification_list():
    unread_only, limit, offset = notifications.parse_query(request.args.to_dict())
    shown = notifications.page(db_session(), g.user, unread_only, limit, offset)
    return jsonify(items=[rep.notification(n, lang()) for n in shown.items], total=shown.total,
                   unread=shown.unread, limit=limit, offset=offset)


@bp.post("/notifications/<int:notification_id>/read")
def notification_read(notification_id: int):
    changed = notifications.mark_one_read(db_session(), g.user, notification_id)
    return jsonify(changed=changed, unread=notifications.unread_count(db_session(), g.user))


@bp.post("/notifications/read")
def notification_read_all():
    changed = notifications.mark_read(db_session(), g.user)
    return jsonify(changed=changed, unread=notifications.unread_count(db_session(), g.user))


@bp.get("/filters")
def filter_list():
    rows = inbox.saved_filters(db_session(), g.user)
    return jsonify(items=[rep.saved_filter(f) for f in rows], total=len(rows))


@bp.post("/filters")
def filter_create():
    data = json_body("name", "query")
    name, query = data.get("name"), data.get("query", "")
    errors = {k: m for k, m, v in (("name", Msg("必填项，应为文本"), name), ("query", Msg("应为文本"), query))
              if not isinstance(v, str)}
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    return jsonify(rep.saved_filter(inbox.save_filter(db_session(), g.user, name, query))), 201


@bp.delete("/filters/<int:filter_id>")
def filter_delete(filter_id: int):
    inbox.delete_filter(db_session(), g.user, filter_id)
    return Response(status=204)


@bp.post("/zones")
def zone_create():
    zone = zones.file_application(db_session(), g.user, json_body(), strict=True, limit=attachment_limit())
    return jsonify(rep.zone_detail(zones.trace(db_session(), g.user, zone.id), lang())), 201


@bp.get("/zones")
def zone_list():
    limit, offset = _page()
    rows, total = zones.page_of(db_session(), g.user, limit, offset)
    return jsonify(items=[rep.zone(z, stage) for z, stage in rows], total=total)


@bp.get("/zones/<int:zone_id>")
def zone_detail(zone_id: int):
    return jsonify(rep.zone_detail(zones.trace(db_session(), g.user, zone_id), lang()))


@bp.get("/zones/<int:zone_id>/processes")
def zone_processes(zone_id: int):
    """The processes I may start for the zone now (those whose ``startable`` property allows it)."""
    found = startable.available(db_session(), g.user, zone_id)
    return jsonify(items=[rep.startable(s, lang()) for s in found], total=len(found))


@bp.post("/zones/<int:zone_id>/processes")
def zone_process_start(zone_id: int):
    body = json_body("process_id", "data")
    process_id, data = body.get("process_id"), body.get("data", {})
    errors = {k: m for k, m, ok in (("process_id", Msg("必填项，应为文本"), isinstance(process_id, str)),
                                    ("data", Msg("必填项，应为 JSON 对象"), isinstance(data, dict))) if not ok}
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    instance = startable.start(db_session(), g.user, zone_id, process_id, data, strict=True)
    return jsonify(rep.instance(instance)), 201
@bp.get("/zones/<int:zone_id>/records/<int:record_id>")
def record_detail(zone_id: int, record_id: int):
    return jsonify(rep.record(records.detail(db_session(), g.user, zone_id, record_id), lang()))


@bp.get("/zones/<int:zone_id>/trace")
def zone_trace(zone_id: int):
    return jsonify(rep.trace(zones.trace(db_session(), g.user, zone_id, query_id("instance"))))


@bp.get("/zones/<int:zone_id>/log")
def zone_log(zone_id: int):
    fmt = request.args.get("format", "xes")
    if fmt not in ("csv", "xes"):
        raise InvalidForm(Msg("查询参数有误"), {"format": Msg("不是可选的值")})
    body, mimetype = eventlog.export(db_session(), g.user, zone_id, fmt, lang())
    return Response(body, mimetype=mimetype)


@bp.get("/zones/<int:zone_id>/attachments")
def attachment_list(zone_id: int):
    _, items = documents.listing(db_session(), g.user, zone_id)
    return jsonify(items=[rep.attachment(a) for a in items], total=len(items))


@bp.post("/zones/<int:zone_id>/attachments")
def attachment_upload(zone_id: int):
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(Msg("请求体须为 multipart/form-data，文件放在 file 字段"))
    extra = (set(request.form) | set(request.files)) - {"file"}
    if extra:
        raise InvalidForm(Msg("请求体有未知字段"), {k: Msg("不是此请求的字段") for k in extra})
    sent = upload(request.files, "file")
    if sent is None:
        raise InvalidForm(Msg("请选择要上传的文件"), {"file": Msg("必填项")})
    return jsonify(rep.attachment(documents.attach(db_session(), g.user, zone_id, sent, attachment_limit()))), 201


@bp.get("/zones/<int:zone_id>/attachments/<int:attachment_id>")
def attachment_download(zone_id: int, attachment_id: int):
    item, content = documents.download(db_session(), g.user, zone_id, attachment_id)
    return attachment_response(item.filename, item.content_type, content)


@bp.get("/zones/<int:zone_id>/comments")
def comment_list(zone_id: int):
    items = documents.comments(db_session(), g.user, zone_id)
    return jsonify(items=[rep.comment(c) for c in items], total=len(items))


@bp.post("/zones/<int:zone_id>/comments")
def comment_add(zone_id: int):
    data = json_body("body", "task_id")
    item = documents.comment(db_session(), g.user, zone_id, data.get("body"), task_id=data.get("task_id"))
    return jsonify(rep.comment(item)), 201


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document(zones.current_application(db_session())))
