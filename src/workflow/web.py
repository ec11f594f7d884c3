"""Request glue: a database session per request, the logged-in user, CSRF, languages, errors."""

from __future__ import annotations

import re
import secrets
import time
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from flask import Flask, Response, abort, current_app, g, jsonify, render_template, request, session
from flask.json.provider import DefaultJSONProvider
from flask_babel import Babel, get_locale, gettext
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from workflow import charts, files, inputs
from workflow.errors import Msg, NotAuthenticated, NotFound, PermissionDenied, TooManyAttempts, WorkflowError
from workflow.models import User, utcnow
from workflow.roles import Role
from workflow.services import audit, holidays, logins, notifications

SHANGHAI = ZoneInfo("Asia/Shanghai")
LANGUAGES = {"zh": "zh_Hans_CN", "en": "en"}


def deadline(due_at: datetime | None) -> str:
    """``overdue``, ``soon`` (by the end of the second working day from today) or ``""`` for a task's badge."""
    if due_at is None:
        return ""
    if "due_soon" not in g:
        g.due_soon = holidays.soon(db_session(), utcnow())
    return "overdue" if due_at < utcnow() else "soon" if due_at <= g.due_soon else ""


def unread() -> int:
    """The logged-in user's unread notifications, for the navigation."""
    me = current_user()
    return notifications.unread_count(db_session(), me) if me else 0


def calendar_gaps() -> list[int]:
    """This year and the next if they have no holidays in the calendar, for administrators and process owners."""
    me = current_user()
    if me is None or not me.has(Role.ADMIN, Role.PROCESS_OWNER):
        return []
    if "calendar_gaps" not in g:
        g.calendar_gaps = holidays.uncovered_years(db_session())
    return g.calendar_gaps


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["workflow.db"].session()
    return g.db_session


def current_user() -> User | None:
    if "user" not in g:
        g.user = _session_user()
    return g.user


SEEN_EVERY = 60  # seconds: how often the last-activity time in the cookie is renewed


def _session_user() -> User | None:
    """The logged-in user, unless the session was ended, sat idle too long or is older than its lifetime."""
    if "uid" not in session:
        return None
    settings, now = current_app.config["WORKFLOW"], time.time()
    started, seen = session.get("iat", 0), session.get("seen", 0)
    fresh = (now - seen < settings["SESSION_IDLE_MINUTES"] * 60
             and now - started < settings["SESSION_MAX_HOURS"] * 3600)
    user = logins.session_user(db_session(), session.get("uid"), session.get("sv")) if fresh else None
    if user is None:
        forget_login()
    elif now - seen >= SEEN_EVERY:
        session["seen"] = int(now)
    return user


def forget_login() -> None:
    """Drop the login from the session cookie; the language choice stays."""
    chosen = session.get("lang")
    session.clear()
    if chosen:
        session["lang"] = chosen


def _is_admin() -> bool:
    user = current_user()
    return user is not None and user.has(Role.ADMIN)


def here() -> str:
    """This request's path and query, without the bare "?" Werkzeug's ``full_path`` ends in when there is none."""
    return request.full_path if request.query_string else request.path


def language_link(code: str) -> str:
    """This page in another language: the same path and query, with ``lang`` set."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return request.path + "?" + urlencode(args, doseq=True)


def lang() -> str:
    return "en" if str(get_locale()).startswith("en") else "zh"


def tr(message: str | Msg) -> str:
    """A message in the user's language."""
    if isinstance(message, Msg):
        return message.render(gettext, lang())
    return gettext(message) if message else ""


def N_(text: str) -> str:  # noqa: N802 - the conventional gettext no-op marker
    """Marks a msgid for extraction; translated later with gettext."""
    return text


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf() -> None:
    if request.method in {"POST", "PUT", "PATCH", "DELETE"} and not request.path.startswith("/api/"):
        sent = request.form.get("csrf_token", "")
        if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
            abort(400, description=gettext("页面已过期或来源不明（CSRF 校验失败），请返回重试。"))


class _JSON(DefaultJSONProvider):
    """Request bodies are parsed with bounded depth and checked for text no database can store."""

    def loads(self, s, **kwargs):
        return inputs.loads(s, **kwargs)


class _AsciiInt(IntegerConverter):
    """``<int:…>`` in routes: ASCII digits only (the default ``\\d`` also matches '١٢')."""

    regex = r"[0-9]+"


def _check_fields() -> None:
    """Query strings and forms of the pages (the API checks its own after authenticating)."""
    if not request.path.startswith("/api/"):
        inputs.check_fields(request.args.lists())
        inputs.check_fields(request.form.lists())


def _select_locale() -> str:
    """The API follows Accept-Language; pages the language the user chose; else WORKFLOW_DEFAULT_LOCALE."""
    default = current_app.config["WORKFLOW"]["DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):
        return LANGUAGES[request.accept_languages.best_match(["zh", "en"], default=default)]
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return LANGUAGES[session.get("lang") if session.get("lang") in LANGUAGES else default]


STATUS_LABELS = {
    "applying": N_("申请中"), "recommending": N_("推荐中"), "accepting": N_("验收中"),
    "approving": N_("待批准"), "operating": N_("运行中"), "rejected": N_("未获通过"), "revoked": N_("已撤销"),
}
ITEM_LABELS = {"pending": N_("审批中"), "in_effect": N_("已实施"), "published": N_("已纳入推广目录"),
               "rejected": N_("未通过")}
KIND_OF_MEASURE = {"institutional": N_("制度创新"), "model": N_("模式创新"), "measure": N_("措施创新")}
RATING_LABELS = {"优秀": N_("优秀"), "良好": N_("良好"), "合格": N_("合格"), "不合格": N_("不合格")}
DECISION_LABELS = {
    "recommend": N_("推荐"), "revise": N_("退回修改"), "reject": N_("不予通过"), "pass": N_("通过"),
    "conditional": N_("有条件通过"), "fail": N_("不通过"), "rectify": N_("整改"), "approve": N_("批准"),
    "revoke": N_("撤销"), "keep": N_("保留"), "accepted": N_("整改到位"), "redo": N_("重新整改"),
    "accept": N_("纳入推广目录"), "low": N_("低"), "medium": N_("中"), "high": N_("高"),
}
ROLE_LABELS = {
    "local_gov": N_("地方政府"), "bureau": N_("直属检验检疫局"), "bureau_head": N_("直属局领导"),
    "hq_clearance": N_("通关司"),
    "hq_cnca": N_("认监委"), "hq_health": N_("卫生司"), "hq_plant_animal": N_("动植司"),
    "hq_inspection": N_("检验司"), "hq_food": N_("食品局"), "hq_leader": N_("总局领导"),
    "process_owner": N_("流程管理员"), "admin": N_("系统管理员"),
}
# Every kind of event the history and the audit log show; a new kind gets its label here (and a category).
EVENT_LABELS = {
    "task_completed": N_("办理"), "automatic": N_("系统处理"), "timer_fired": N_("定时触发"),
    "task_overdue": N_("逾期提醒"), "task_withdrawn": N_("任务撤回"), "task_claimed": N_("认领任务"),
    "task_unclaimed": N_("放弃认领"), "timer_failed": N_("定时处理失败"), "login": N_("登录成功"),
    "login_failed": N_("登录失败"), "login_locked": N_("登录被暂停"), "access_denied": N_("拒绝访问"),
    "user_created": N_("创建用户"), "user_changed": N_("修改用户"), "deployed": N_("部署流程"),
    "attachment_added": N_("添加附件"), "comment_added": N_("发表意见"),
    "calendar_changed": N_("修改工作日历"),
    "instance_migrated": N_("迁移到新版本"), "migration_rolled_back": N_("撤销迁移"),
    "task_reassigned": N_("改派任务"), "task_delegated": N_("委托办理"), "task_resolved": N_("委托办毕交回"),
    "substitute_set": N_("安排代理"),
}
NOTICE_LABELS = {
    "new_task": N_("新任务"), "due_soon": N_("即将到期"), "overdue": N_("已逾期"), "escalation": N_("逾期督办"),
    "reassigned": N_("转交给您"), "delegated": N_("委托给您"),
}
EVENT_CATEGORIES = {
    "work": (N_("业务办理"), ("task_completed", "task_claimed", "task_unclaimed", "task_withdrawn", "task_reassigned",
                           "task_delegated", "task_resolved", "attachment_added", "comment_added")),
    "system": (N_("定时与系统"), ("automatic", "timer_fired", "task_overdue", "timer_failed")),
    "login": (N_("登录记录"), ("login", "login_failed", "login_locked")),
    "refusal": (N_("拒绝访问"), ("access_denied",)),
    "accounts": (N_("账户管理"), ("user_created", "user_changed", "substitute_set")),
    "models": (N_("流程部署"), ("deployed", "instance_migrated", "migration_rolled_back")),
    "calendar": (N_("工作日历"), ("calendar_changed",)),
}
CHAIN_REASONS = {
    "edited": N_("内容与其哈希值不符（写入后被修改）"),
    "not_following": N_("与前一条记录的链接不符（前一条被改写，或此条被插入）"),
    "missing_before": N_("此前的记录缺失（被删除）"),
    "missing_after": N_("链头记录的此后记录缺失（被删除）"),
    "rewritten": N_("哈希值与链头记录的不同（被改写）"),
    "after_head": N_("位于链头之后（绕过系统追加）"),
    "unchained": N_("不在链中（绕过系统插入）"),
}
KIND_LABELS = {"hq_unit": N_("总局司局"), "bureau": N_("直属局"), "local_gov": N_("地方政府"), "system": N_("系统")}
HTTP_MESSAGES = {
    400: N_("请求格式有误。"), 401: N_("请先登录。"), 403: N_("您无权进行此操作。"),
    429: N_("请求过于频繁，请稍后再试。"),
    404: N_("您要找的页面不存在，或您无权查看。"), 405: N_("不支持这种请求方式。"),
    408: N_("提交的内容迟迟未能传完，请重新提交。"), 413: N_("提交的内容过大。"), 415: N_("不支持这种内容格式。"),
}


def _labeller(table: dict[str, str]):
    """A template function showing an enum value (or its string) by its translated label."""
    def label(value: object) -> str:
        key = str(getattr(value, "value", value) if value is not None else "")
        return gettext(table[key]) if key in table else key
    return label


status_label = _labeller(STATUS_LABELS)
item_status = _labeller(ITEM_LABELS)
measure_kind = _labeller(KIND_OF_MEASURE)
role_label = _labeller(ROLE_LABELS)
kind_label = _labeller(KIND_LABELS)
decision_label = _labeller(DECISION_LABELS)
event_label = _labeller(EVENT_LABELS)
notice_label = _labeller(NOTICE_LABELS)
chain_reason = _labeller(CHAIN_REASONS)
outcome_label = _labeller({**RATING_LABELS, **STATUS_LABELS, **DECISION_LABELS})


def span(delta: timedelta | None) -> str:
    """A duration as people say it: 3 天 4 小时, 2 小时 5 分钟, 不到 1 分钟."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return gettext("%(d)s 天 %(h)s 小时", d=days, h=hours) if hours else gettext("%(d)s 天", d=days)
    if hours:
        return gettext("%(h)s 小时 %(m)s 分钟", h=hours, m=mins) if mins else gettext("%(h)s 小时", h=hours)
    return gettext("%(m)s 分钟", m=mins) if mins else gettext("不到 1 分钟")


def rating_bars(counts) -> object:
    items = [(gettext(RATING_LABELS[name]), counts.get(name, 0), level) for name, level in charts.LEVELS.items()]
    return charts.bars(list(reversed(items)), gettext("最近一次考核等级"))


def rating_chart(series, bands, title: str | None = None):
    """Mean scores by calendar year over the rating bands; ``series`` is [(zone name, points)]."""
    names = {k: gettext(v) for k, v in RATING_LABELS.items()}
    lines = [charts.Series(name, points) for name, points in series]
    summary = "; ".join(f"{s.name}: " + ", ".join(f"{p.label} {p.score:.1f} {names.get(p.rating, p.rating)}"
                                                  for p in s.points) for s in lines)
    description = gettext("纵轴为四项得分的平均分（0–100），底色为考核等级的分数区间，横轴为年度。") + " " + summary
    return charts.ratings(lines, bands, title or gettext("历年考核平均分与等级"), description, gettext("平均分"),
                          names)


def columns_chart(groups, names, title, description, unit=""):
    return charts.columns(groups, names, title, description, unit)


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(SHANGHAI).strftime(fmt) if value else ""


def _close_session(_exc: BaseException | None) -> None:
    db = g.pop("db_session", None)
    if db is not None:
        db.rollback()
        db.close()


CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
# Model XML is the process owner's upload: should a browser render it, nothing in it runs on our origin.
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CSP)
    if request.endpoint != "static":
        # Pages, API answers and exports are private: no browser or proxy keeps a copy.
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def attachment_response(filename: str, content_type: str, content: bytes) -> Response:
    """A stored file, always as a download under its safe name, never rendered or sniffed on this site."""
    disposition = f'attachment; filename="{files.ascii_name(filename)}"; filename*=UTF-8\'\'{quote(filename)}'
    headers = {"Content-Disposition": disposition, "Content-Security-Policy": DOWNLOAD_CSP,
               "X-Content-Type-Options": "nosniff"}
    return Response(content, mimetype=content_type, headers=headers)


# Requests that may carry a file: their body may be as large as a file allowed plus the rest of the form.
UPLOADS = {"documents.upload_file", "api.attachment_upload", "tasks.complete", "zones.create"}


def attachment_limit() -> int:
    return current_app.config["WORKFLOW"]["MAX_ATTACHMENT_BYTES"]


def _upload_limit() -> None:
    if request.endpoint in UPLOADS:
        request.max_content_length = max(current_app.config["MAX_CONTENT_LENGTH"], attachment_limit() + 65536)


def model_xml(source: str | bytes, name: str) -> Response:
    """A model's XML for the diagram viewer (fetched by script) and for download, never rendered as a page."""
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100] + ".bpmn"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Content-Security-Policy": DOWNLOAD_CSP}
    return Response(source, mimetype="application/xml", headers=headers)


ERROR_CODES = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 408: "request_timeout", 409: "conflict", 413: "payload_too_large",
               415: "unsupported_media_type", 429: "too_many_attempts"}
_AUDITED = (NotAuthenticated, PermissionDenied, NotFound, TooManyAttempts)


def _respond(status: int, message: str, fields: dict | None = None, headers: dict | None = None, code: str = ""):
    if request.path.startswith("/api/"):
        body = {"error": code or ERROR_CODES.get(status, "error"), "message": message, "fields": fields or {}}
        return jsonify(body), status, headers or {}
    return render_template("error.html", status=status, message=message), status, headers or {}


def _workflow_error(exc: WorkflowError):
    db_session().rollback()
    message = tr(exc.message)
    if isinstance(exc, _AUDITED):
        user = g.get("user")
        audit.denied(db_session(), user, request.remote_addr or "", request.method, here(),
                     exc.status, message)
    headers = {}
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, NotAuthenticated) and request.path.startswith("/api/"):
        headers["WWW-Authenticate"] = "Bearer"
    return _respond(exc.status, message, {k: tr(v) for k, v in exc.fields.items()}, headers, exc.code)


def _http_error(exc: HTTPException):
    default = exc.description == type(exc).description
    message = gettext(HTTP_MESSAGES.get(exc.code, N_("出错了。"))) if default else exc.description
    headers = {"Allow": ", ".join(exc.valid_methods)} if getattr(exc, "valid_methods", None) else {}
    return _respond(exc.code or 500, message, headers=headers)


def init_app(app: Flask) -> None:
    translations = str(app.root_path) + "/translations"
    Babel(app, locale_selector=_select_locale, default_translation_directories=translations)
    app.json = _JSON(app)
    app.url_map.converters["int"] = _AsciiInt
    app.before_request(_upload_limit)
    app.before_request(_check_fields)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.teardown_appcontext(_close_session)
    app.register_error_handler(WorkflowError, _workflow_error)
    app.register_error_handler(HTTPException, _http_error)
    app.jinja_env.filters["local"] = local_time
    app.jinja_env.filters["tr"] = tr
    app.jinja_env.filters["span"] = span
    app.context_processor(lambda: {"now": utcnow()})
    app.jinja_env.globals.update(current_user=current_user, csrf_token=csrf_token, lang=lang,
                                 deadline=deadline, unread=unread, notice_label=notice_label,
                                 language_link=language_link, calendar_gaps=calendar_gaps,
                                 status_label=status_label, decision_label=decision_label,
                                 role_label=role_label, kind_label=kind_label, is_admin=_is_admin,
                                 event_label=event_label, outcome_label=outcome_label, chain_reason=chain_reason,
                                 item_status=item_status, measure_kind=measure_kind, rating_chart=rating_chart,
                                 attachment_limit=attachment_limit,
                                 rating_bars=rating_bars, columns_chart=columns_chart,
                                 nl2br=lambda s: Markup("<br>").join((s or "").splitlines()))
