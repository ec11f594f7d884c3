"""The JSON API of one's notifications and saved inbox filters: listing, marking read, saving, deleting."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import START, application, bearer, user
from workflow import openapi
from workflow.models import Notification, SavedFilter
from workflow.services import notifications, zones

ZONES = ("郑州航空港国检试验区", "洛阳国检试验区", "开封国检试验区")


@pytest.fixture
def filed(session):
    """Three Henan applications (each tells henan.bureau and henan.bureau2 of a new task) and one from Jiangxi."""
    for n, name in enumerate(ZONES):
        zones.file_application(session, user(session, "henan.gov"), application(zone_name=name),
                               now=START + timedelta(days=n))
    zones.file_application(session, user(session, "jiangxi.gov"),
                           application(zone_name="南昌国检试验区", province="jiangxi"), now=START)


def _unread(session, name):
    session.expire_all()
    return notifications.unread_count(session, user(session, name))


def _mine(session, name):
    return session.scalars(select(Notification).where(Notification.user_id == user(session, name).id)
                           .order_by(Notification.id)).all()


def test_my_notifications_newest_first_paged_with_the_unread_count(client, session, filed):
    me = bearer(client, "henan.bureau")
    listed = client.get("/api/v1/notifications", headers=me).json
    assert (listed["total"], listed["unread"], listed["limit"], listed["offset"]) == (3, 3, 50, 0)
    assert [n["zone_name"] for n in listed["items"]] == list(reversed(ZONES)), "newest first; no Jiangxi zone"
    first = listed["items"][0]
    assert (first["kind"], first["task_name"], first["read_at"]) == ("new_task", "直属局推荐意见", None)
    assert {n["id"] for n in listed["items"]} == {n.id for n in _mine(session, "henan.bureau")}
    page = client.get("/api/v1/notifications?limit=2&offset=2", headers=me).json
    assert [n["zone_name"] for n in page["items"]] == [ZONES[0]] and page["total"] == 3
    english = client.get("/api/v1/notifications?limit=1", headers={**me, "Accept-Language": "en"}).json
    assert english["items"][0]["task_name"] == "Bureau recommendation"


def test_marking_one_read_then_all(client, session, filed):
    me = bearer(client, "henan.bureau")
    oldest, *rest = _mine(session, "henan.bureau")
    answer = client.post(f"/api/v1/notifications/{oldest.id}/read", headers=me)
    assert answer.status_code == 200 and answer.json == {"changed": 1, "unread": 2}
    again = client.post(f"/api/v1/notifications/{oldest.id}/read", headers=me)
    assert again.status_code == 200 and again.json == {"changed": 0, "unread": 2}, "read twice is fine"
    unread = client.get("/api/v1/notifications?unread=true", headers=me).json
    assert {n["id"] for n in unread["items"]} == {n.id for n in rest} and unread["total"] == 2
    every = client.get("/api/v1/notifications?unread=false", headers=me).json
    assert every["total"] == 3 and [n["read_at"] is not None for n in every["items"]] == [False, False, True]
    assert _unread(session, "henan.bureau2") == 3, "a colleague's notifications of the same tasks stay unread"
    assert client.post("/api/v1/notifications/read", headers=me).json == {"changed": 2, "unread": 0}
    assert _unread(session, "henan.bureau") == 0 and _unread(session, "henan.bureau2") == 3


def test_someone_elses_or_an_unknown_notification_is_404_and_nothing_changes(client, session, filed):
    me = bearer(client, "henan.bureau")
    theirs = _mine(session, "henan.bureau2")[0]
    for target in (theirs.id, 999999, 2**31, 10**20):
        answer = client.post(f"/api/v1/notifications/{target}/read", headers=me)
        assert answer.status_code == 404, target
        assert answer.json["error"] == "not_found"
    assert _unread(session, "henan.bureau2") == 3 and _unread(session, "henan.bureau") == 3
    stranger = bearer(client, "jiangxi.bureau")
    assert client.post("/api/v1/notifications/read", headers=stranger).json == {"changed": 1, "unread": 0}
    assert _unread(session, "henan.bureau") == 3 and _unread(session, "henan.bureau2") == 3
    assert client.get("/api/v1/notifications", headers=stranger).json["items"][0]["zone_name"] == "南昌国检试验区"


@pytest.mark.parametrize("query, fields", [
    ("unread=yes", {"unread"}), ("unread=1", {"unread"}), ("limit=0", {"limit"}), ("limit=201", {"limit"}),
    ("offset=-1", {"offset"}), ("limit=x&offset=1.5", {"limit", "offset"}), ("kind=overdue", {"kind"}),
    ("limit=%D9%A1", {"limit"}),
])
def test_bad_listing_parameters_are_400_naming_each(client, filed, query, fields):
    answer = client.get(f"/api/v1/notifications?{query}", headers=bearer(client, "henan.bureau"))
    assert answer.status_code == 400 and set(answer.json["fields"]) == fields


def test_the_notification_endpoints_need_a_token(client, session, filed):
    mine = _mine(session, "henan.bureau")[0]
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.post(f"/api/v1/notifications/{mine.id}/read").status_code == 401
    assert client.post("/api/v1/notifications/read").status_code == 401
    assert _unread(session, "henan.bureau") == 3


def _filters(session, name=None):
    query = select(SavedFilter)
    if name:
        query = query.where(SavedFilter.user_id == user(session, name).id)
    session.expire_all()
    return session.scalars(query.order_by(SavedFilter.id)).all()


def test_save_list_use_and_delete_a_filter(client, session, filed):
    me = bearer(client, "henan.bureau")
    saved = client.post("/api/v1/filters", json={"name": "洛阳", "query": "q=洛阳&sort=zone&offset=20"}, headers=me)
    assert saved.status_code == 201
    assert saved.json["name"] == "洛阳" and saved.json["query"] == "sort=zone&q=%E6%B4%9B%E9%98%B3", "offset dropped"
    [row] = _filters(session, "henan.bureau")
    assert row.id == saved.json["id"] and row.query == saved.json["query"]
    listed = client.get("/api/v1/filters", headers=me).json
    assert listed == {"items": [saved.json], "total": 1}
    filter_id = row.id
    inbox = client.get(f"/api/v1/tasks?filter={filter_id}", headers=me).json
    assert [t["zone_name"] for t in inbox["items"]] == ["洛阳国检试验区"] and inbox["total"] == 1
    both = client.get(f"/api/v1/tasks?filter={filter_id}&q=开封", headers=me).json
    assert [t["zone_name"] for t in both["items"]] == ["开封国检试验区"], "a parameter given as well wins"
    assert client.get("/api/v1/filters", headers=bearer(client, "henan.bureau2")).json["total"] == 0
    deleted = client.delete(f"/api/v1/filters/{filter_id}", headers=me)
    assert deleted.status_code == 204 and _filters(session) == []
    assert client.get(f"/api/v1/tasks?filter={filter_id}", headers=me).status_code == 404


@pytest.mark.parametrize("body, status, fields", [
    ({"name": "x", "query": "tab=everything"}, 400, {"tab"}),
    ({"name": "x", "query": "colour=red"}, 400, {"colour"}),
    ({"name": "x", "query": "limit=0&due=later"}, 400, {"limit", "due"}),
    ({"name": "   ", "query": "tab=mine"}, 400, {"name"}),
    ({"name": "x" * 101, "query": ""}, 400, {"name"}),
    ({"query": "tab=mine"}, 400, {"name"}),
    ({"name": 3, "query": ["tab=mine"]}, 400, {"name", "query"}),
    ({"name": "x", "query": "q=" + "x" * 1000}, 400, {"query"}),
    ({"name": "x", "query": "q=" + "洛" * 100 + "&type=bureau_recommendation&stage=recommending&sort=created"
      "&tab=groups&due=overdue&claimed=none&province=henan&limit=199"}, 400, {"query"}),
    ({"name": "x", "query": "tab=mine", "colour": "red"}, 400, {"colour"}),
    ({"name": "x", "query": "zone=999999"}, 404, None),
    ({"name": "x", "query": "province=jiangxi"}, 403, None),
])
def test_a_bad_filter_is_refused_and_nothing_is_saved(client, session, filed, body, status, fields):
    answer = client.post("/api/v1/filters", json=body, headers=bearer(client, "henan.bureau"))
    assert answer.status_code == status, answer.json
    if fields:
        assert set(answer.json["fields"]) == fields
    assert _filters(session) == []


def test_a_duplicate_name_is_409_and_a_non_json_body_415(client, session, filed):
    me = bearer(client, "henan.bureau")
    assert client.post("/api/v1/filters", json={"name": "逾期", "query": "due=overdue"}, headers=me).status_code == 201
    again = client.post("/api/v1/filters", json={"name": "逾期", "query": "tab=mine"}, headers=me)
    assert again.status_code == 409
    form = client.post("/api/v1/filters", data={"name": "表单", "query": ""}, headers=me)
    assert form.status_code == 415
    assert [f.query for f in _filters(session)] == ["due=overdue"]
    theirs = client.post("/api/v1/filters", json={"name": "逾期", "query": "tab=mine"},
                         headers=bearer(client, "henan.bureau2"))
    assert theirs.status_code == 201, "names are unique per person"


def test_someone_elses_filter_is_invisible_and_stays(client, session, filed):
    mine = bearer(client, "henan.bureau")
    saved = client.post("/api/v1/filters", json={"name": "我的", "query": "tab=mine"}, headers=mine).json
    other = bearer(client, "henan.bureau2")
    assert client.delete(f"/api/v1/filters/{saved['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/tasks?filter={saved['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/filters", headers=other).json == {"items": [], "total": 0}
    for bad in (999999, 2**31, 10**20):
        assert client.delete(f"/api/v1/filters/{bad}", headers=mine).status_code == 404
    assert client.delete(f"/api/v1/filters/{saved['id']}").status_code == 401
    assert [f.id for f in _filters(session)] == [saved["id"]]
    for bad in ("x", "0", "-1", "%D9%A1", str(2**31)):
        answer = client.get(f"/api/v1/tasks?filter={bad}", headers=mine)
        assert answer.status_code == 400 and set(answer.json["fields"]) == {"filter"}, bad


def test_the_html_inbox_takes_a_saved_filter_too(client, session, filed, login_as):
    saved = client.post("/api/v1/filters", json={"name": "洛阳", "query": "q=洛阳"},
                        headers=bearer(client, "henan.bureau")).json
    page = login_as("henan.bureau").get(f"/inbox?filter={saved['id']}").get_data(as_text=True)
    assert "洛阳国检试验区" in page and "开封国检试验区" not in page


def test_every_api_route_is_in_the_openapi_document(app):
    document = openapi.document()
    paths = document["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace(">", "}")
        assert path in paths, path
        assert rule.methods - {"HEAD", "OPTIONS"} <= {m.upper() for m in paths[path]}, path
    kinds = document["components"]["schemas"]["Notification"]["properties"]["kind"]["enum"]
    assert tuple(kinds) == notifications.KINDS

