"""The inbox: parsing its filters, one page with the counts of each tab, saved filters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import or_
from sqlalchemy.orm import Session

from workflow import access, inputs, store, worklist
from workflow.errors import Conflict, InvalidForm, Msg, NotFound, PermissionDenied
from workflow.models import HumanTask, SavedFilter, User, ZoneStatus, utcnow
from workflow.modelxml import Element, Option
from workflow.services import commit, deploy, zones
from workflow.worklist import Query, Reach

CHOICES = {"tab": worklist.TABS, "sort": tuple(worklist.SORTS), "due": ("soon", "overdue"),
           "claimed": ("me", "none"), "stage": tuple(s.value for s in ZoneStatus)}
PARAMS = (*CHOICES, "zone", "province", "type", "q", "overdue", "limit", "offset")
IGNORED = ("lang",)  # the page language switch, on every page
MAX_LIMIT = 200
MAX_QUERY = 1000  # the width of SavedFilter.query


@dataclass
class InboxPage:
    tasks: Sequence[HumanTask]
    counts: dict[str, int]
    query: Query
    saved: Sequence[SavedFilter]
    provinces: Sequence[Option] = ()
    types: Sequence[Element] = ()

    @property
    def total(self) -> int:
        return self.counts[self.query.tab]


def reach(session: Session, user: User, now: datetime | None = None) -> Reach:
    """The keys and scope of the user's inbox, with those of colleagues on leave whom the user stands in for."""
    people = [user, *store.absentees(session, user, now or utcnow())]
    keys = frozenset().union(*(access.user_keys(p) for p in people))
    return Reach(user.id, frozenset(p.username for p in people), keys,
                 or_(*(access.task_row_scope(p) for p in people)),
                 any(p.active and p.roles & access.SEES_ALL for p in people))


def parse(session: Session, user: User, args: Mapping[str, str]) -> Query:
    """The filters of a request; an unknown parameter or value is a 400, a province or zone one may not see 403/404."""
    errors: dict[str, str | Msg] = {k: Msg("不是可用的筛选条件") for k in args if k not in (*PARAMS, *IGNORED)}
    values: dict[str, object] = {}
    for name, allowed in CHOICES.items():
        value = args.get(name, "")
        if value and value not in allowed:
            errors[name] = Msg("不是可选的值（可选：%(allowed)s）", allowed=", ".join(allowed))
        elif value:
            values[name] = value
    overdue = args.get("overdue", "")
    if overdue not in ("", "true", "false"):
        errors["overdue"] = Msg("应为 true 或 false")
    elif overdue == "true":
        values["due"] = "overdue"
    numbers = (("limit", 50, 1, MAX_LIMIT), ("offset", 0, 0, 10**6), ("zone", None, 1, store.MAX_ID))
    for name, default, low, high in numbers:
        number = inputs.bounded(args, name, default, low, high, errors)
        if number is not None:
            values[name] = number
    values["q"] = args.get("q", "").strip()
    if len(args.get("q", "")) > 100:
        errors["q"] = Msg("最多 100 个字")
    values.update(_checked(session, user, args, errors))
    if errors:
        raise InvalidForm(Msg("筛选条件有误"), errors)
    query = Query(**values)  # type: ignore[arg-type]
    if query.zone and store.visible_zone(session, user, query.zone) is None:
        raise NotFound(Msg("没有这个试验区"))
    return query


def _checked(session: Session, user: User, args: Mapping[str, str], errors: dict) -> dict[str, str]:
    """The province and task type filters, checked against the model."""
    values = {}
    province, kind = args.get("province", ""), args.get("type", "")
    if province:
        known = _catalogue(session).provinces
        if known and province not in {o.id for o in known}:
            errors["province"] = Msg("没有这个省份")
        elif not _sees_province(user, province):
            raise PermissionDenied(Msg("您无权查看这个省份的任务"))
        values["province"] = province
    if kind:
        if kind not in {el.id for el in _catalogue(session).types}:
            errors["type"] = Msg("没有这种任务")
        values["type"] = kind
    return values


def _sees_province(user: User, province: str) -> bool:
    if user.roles & access.SEES_ALL:
        return True
    return user.organisation.province == province


def page(session: Session, user: User, args: Mapping[str, str], now: datetime | None = None) -> InboxPage:
    """One page of the user's inbox as ``args`` (the query string) asks, with the counts of every tab."""
    now = now or utcnow()
    query = parse(session, user, _with_saved(session, user, args))
    scope = reach(session, user, now)
    counts = worklist.counts(session, scope, query, now)
    return InboxPage(worklist.page(session, scope, query, now, counts[query.tab]), counts, query,
                     store.saved_filters(session, user.id), _provinces(session, user), _catalogue(session).types)


def _with_saved(session: Session, user: User, args: Mapping[str, str]) -> Mapping[str, str]:
    """``args`` with ``filter=<id>`` replaced by that saved filter's query (a parameter given as well wins)."""
    if "filter" not in args:
        return args
    rest = {k: v for k, v in args.items() if k != "filter"}
    filter_id = inputs.integer(args["filter"])
    if filter_id is None or not 0 < filter_id <= store.MAX_ID:
        raise InvalidForm(Msg("筛选条件有误"), {"filter": Msg("应为已保存筛选的编号")})
    saved = store.saved_filter(session, user.id, filter_id)
    if saved is None:
        raise NotFound(Msg("没有这个筛选"))
    return {**dict(parse_qsl(saved.query)), **rest}


def _provinces(session: Session, user: User) -> list[Option]:
    """The provinces the user may filter on (those of the application form the user may see)."""
    return [o for o in _catalogue(session).provinces if _sees_province(user, o.id)]


@dataclass(frozen=True)
class Catalogue:
    """What the filters offer, read from the deployed models: user tasks and the application's provinces."""

    types: tuple[Element, ...]
    provinces: tuple[Option, ...]


_CATALOGUES: dict[tuple, Catalogue] = {}


def _catalogue(session: Session) -> Catalogue:
    """The catalogue of the deployed versions, built once per set of versions (a light query to check)."""
    deployed = store.version_keys(session)
    if deployed not in _CATALOGUES:
        found: dict[str, Element] = {}
        for version in deploy.versions(session):  # oldest first: the newest name of a task wins
            found.update((el.id, el) for el in deploy.model_for(version).elements.values() if el.kind == "userTask")
        application = zones.current_application(session)
        field = next((f for f in application.form if f.id == zones.PROVINCE_FIELD), None) if application else None
        _CATALOGUES.clear()
        _CATALOGUES[deployed] = Catalogue(tuple(found.values()), tuple(field.options) if field else ())
    return _CATALOGUES[deployed]


def tasks(session: Session, user: User, limit: int | None = None, offset: int = 0,
          now: datetime | None = None) -> Sequence[HumanTask]:
    """Every open task the user may act on, soonest due first (``limit`` rows from ``offset``)."""
    now = now or utcnow()
    query = Query(limit=limit or 10**6, offset=offset)
    return worklist.page(session, reach(session, user, now), query, now)


def query_string(query: Query, **changes: object) -> str:
    """The query string of ``query`` with ``changes``: what a tab, a page or a saved filter links to."""
    wanted = replace(query, **changes)
    defaults = Query()
    pairs = [(k, getattr(wanted, k)) for k in PARAMS if hasattr(wanted, k)]
    return urlencode([(k, v) for k, v in pairs if v != getattr(defaults, k) and v not in ("", None)])


def saved_filters(session: Session, user: User) -> Sequence[SavedFilter]:
    """The user's saved filters, by name."""
    return store.saved_filters(session, user.id)


def save_filter(session: Session, user: User, name: str, query_text: str) -> SavedFilter:
    """Keep the filters of ``query_text`` (checked first) under ``name`` for this user."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidForm(Msg("表单有误，请按提示修改"), {"name": Msg("必填项，最多 100 个字")})
    if len(query_text) > MAX_QUERY:
        raise InvalidForm(Msg("表单有误，请按提示修改"), {"query": Msg("最多 %(n)s 个字符", n=MAX_QUERY)})
    query = parse(session, user, dict(parse_qsl(query_text)))
    if any(f.name == name for f in store.saved_filters(session, user.id)):
        raise Conflict(Msg("已有同名的筛选"))
    kept = query_string(query, offset=0)
    if len(kept) > MAX_QUERY:  # the column's width: a long search text in Chinese grows threefold when encoded
        raise InvalidForm(Msg("表单有误，请按提示修改"), {"query": Msg("最多 %(n)s 个字符", n=MAX_QUERY)})
    saved = SavedFilter(user_id=user.id, name=name, query=kept, created_at=utcnow())
    session.add(saved)
    commit(session)
    return saved


def delete_filter(session: Session, user: User, filter_id: int) -> None:
    saved = store.saved_filter(session, user.id, filter_id) if 0 < filter_id <= store.MAX_ID else None
    if saved is None:
        raise NotFound(Msg("没有这个筛选"))
    session.delete(saved)
    commit(session)
