"""Finding work: filters, search, sort, paging, tab counts, saved filters; the rows the inbox reads."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, START, application, pass_at, user
from workflow import access
from workflow.errors import InvalidForm, NotFound, PermissionDenied
from workflow.models import HumanTask, TaskKey, TaskStatus
from workflow.services import inbox, tasks, zones
from workflow.timeparse import add_duration


def file(session, name, gov="henan.gov", province="henan", now=START):
    return zones.file_application(session, user(session, gov), application(zone_name=name, province=province),
                                  now=now)


@pytest.fixture
def three(session):
    """Two Henan applications and one from Jiangxi, each waiting for its bureau's recommendation."""
    return [file(session, "郑州航空港国检试验区"), file(session, "洛阳国检试验区", now=START + timedelta(days=1)),
            file(session, "南昌国检试验区", "jiangxi.gov", "jiangxi")]


def names(page):
    return [t.zone_name for t in page.tasks]


def test_a_task_row_carries_the_zone_data_and_keys_the_inbox_filters_on(session, three):
    task = session.scalar(select(HumanTask).where(HumanTask.zone_id == three[0].id,
                                                  HumanTask.status == TaskStatus.OPEN))
    assert (task.province, task.zone_name, task.applicant_id) == ("henan", three[0].name, three[0].applicant_id)
    assert task.due_sort == task.due_at
    keys = set(session.scalars(select(TaskKey.key).where(TaskKey.task_id == task.id)))
    assert keys == {"g:bureau@henan"} and keys <= access.user_keys(user(session, "henan.bureau"))
    tasks.complete(session, user(session, "henan.bureau"), task.id, {"decision": "recommend", "comment": "同意"})
    assert session.scalars(select(TaskKey).where(TaskKey.task_id == task.id)).all() == [], "closed: out of every inbox"


def test_the_inbox_is_exactly_the_tasks_the_access_rule_allows(session, three):
    every = session.scalars(select(HumanTask).where(HumanTask.status == TaskStatus.OPEN)).all()
    for name in ("henan.bureau", "jiangxi.bureau", "hq.clearance", "henan.gov", "henan.head"):
        me = user(session, name)
        allowed = {t.id for t in every if session.scalar(select(HumanTask.id).where(
            HumanTask.id == t.id, access.task_scope(me))) is not None}
        assert {t.id for t in tasks.inbox(session, me)} == allowed, name


def test_search_sort_and_paging(session, three):
    me = user(session, "henan.bureau")
    assert names(inbox.page(session, me, {"q": "洛阳"})) == ["洛阳国检试验区"]
    assert names(inbox.page(session, me, {"q": "%"})) == [], "LIKE wildcards are searched for literally"
    assert names(inbox.page(session, me, {"sort": "zone"})) == sorted(["郑州航空港国检试验区", "洛阳国检试验区"])
    assert names(inbox.page(session, me, {"sort": "created"}))[0] == "洛阳国检试验区", "newest first"
    assert names(inbox.page(session, me, {}))[0] == "郑州航空港国检试验区", "soonest due first"
    second = inbox.page(session, me, {"limit": "1", "offset": "1"})
    assert len(second.tasks) == 1 and second.total == 2


def test_filters_on_zone_province_stage_type_due_and_claims(session, three):
    me = user(session, "henan.bureau")
    assert names(inbox.page(session, me, {"zone": str(three[1].id)})) == ["洛阳国检试验区"]
    assert len(inbox.page(session, me, {"province": "henan", "stage": "recommending",
                                        "type": "bureau_recommendation"}).tasks) == 2
    assert inbox.page(session, me, {"stage": "operating"}).tasks == []
    late = START + timedelta(days=30, hours=12)
    assert len(inbox.page(session, me, {"overdue": "true"}, late).tasks) == 1, "the first one is due by then"
    assert len(inbox.page(session, me, {"due": "soon"}, START + timedelta(days=29)).tasks) == 2
    first = inbox.page(session, me, {}).tasks[0]
    tasks.claim(session, me, first.id)
    assert [t.id for t in inbox.page(session, me, {"claimed": "me"}).tasks] == [first.id]
    assert first.id not in [t.id for t in inbox.page(session, me, {"claimed": "none"}).tasks]
    colleague = inbox.page(session, user(session, "henan.bureau2"), {})
    assert first.id in [t.id for t in colleague.tasks], "a colleague's claim stays in view, marked as taken"


def test_counts_per_tab(session, three):
    me = user(session, "henan.bureau")
    assert inbox.page(session, me, {}).counts == {"mine": 0, "groups": 2, "all": 2}
    tasks.claim(session, me, inbox.page(session, me, {}).tasks[0].id)
    page = inbox.page(session, me, {"tab": "mine"})
    assert page.counts == {"mine": 1, "groups": 2, "all": 2} and len(page.tasks) == 1
    hq = inbox.page(session, user(session, "hq.clearance"), {})
    assert hq.counts == {"mine": 0, "groups": 0, "all": 0}


@pytest.mark.parametrize("args", [{"sort": "name"}, {"tab": "others"}, {"stage": "x"}, {"due": "late"},
                                  {"overdue": "yes"}, {"claimed": "you"}, {"limit": "0"}, {"zone": "abc"},
                                  {"type": "no_such_task"}, {"province": "atlantis"}, {"colour": "red"}])
def test_an_unknown_filter_value_is_refused(session, three, args):
    with pytest.raises(InvalidForm) as refused:
        inbox.page(session, user(session, "henan.bureau"), args)
    assert set(refused.value.fields) == set(args)


def test_a_province_or_zone_one_may_not_see_is_refused_not_silently_empty(session, three):
    with pytest.raises(PermissionDenied):
        inbox.page(session, user(session, "henan.bureau"), {"province": "jiangxi"})
    with pytest.raises(NotFound):
        inbox.page(session, user(session, "henan.bureau"), {"zone": str(three[2].id)})
    assert len(inbox.page(session, user(session, "hq.leader"), {"province": "jiangxi"}).counts) == 3


def test_saved_filters_are_per_user(session, three):
    me = user(session, "henan.bureau")
    saved = inbox.save_filter(session, me, "洛阳", "q=洛阳&sort=zone&offset=20")
    assert saved.query == "sort=zone&q=%E6%B4%9B%E9%98%B3"
    assert [f.name for f in inbox.page(session, me, {}).saved] == ["洛阳"]
    assert inbox.page(session, user(session, "henan.bureau2"), {}).saved == []
    with pytest.raises(InvalidForm):
        inbox.save_filter(session, me, "坏的", "sort=name")
    with pytest.raises(NotFound):
        inbox.delete_filter(session, user(session, "henan.bureau2"), saved.id)
    inbox.delete_filter(session, me, saved.id)
    assert inbox.page(session, me, {}).saved == []


def test_a_periodic_task_shows_its_year_and_the_risk_assessment_is_shared(app, session, zone):
    pass_at(app, add_duration(START, "P3M") + timedelta(hours=1))
    session.expire_all()
    [report] = inbox.page(session, user(session, "henan.bureau"), {"type": "report_q1"}).tasks
    assert report.label("zh") == "2027 年第一季度日常监督管理报告"
    assert report.label("en").startswith("2027: ")
    assert not report.shared


def test_the_page_filters_counts_pages_and_shows_errors(login_as, session, three):
    client = login_as("henan.bureau")
    body = client.get("/inbox?q=洛阳").get_data(as_text=True)
    assert "洛阳国检试验区" in body and "郑州航空港" not in body.split("<tbody>")[1]
    assert f'href="/zones/{three[1].id}"' in body, "the zone name links to the zone"
    assert "(1)" in body
    refused = client.get("/inbox?sort=name")
    assert refused.status_code == 400 and "role=\"alert\"" in refused.get_data(as_text=True)
    assert client.get("/inbox?province=jiangxi").status_code == 403
    response = client.post("/inbox/filters", data={"name": "洛阳", "query": "q=洛阳", "csrf_token": client.csrf})
    assert response.status_code == 302
    assert ">洛阳</a>" in client.get("/inbox").get_data(as_text=True)


def test_the_page_marks_ones_own_claim(login_as, session, three):
    me = user(session, "henan.bureau")
    tasks.claim(session, me, inbox.page(session, me, {}).tasks[0].id)
    assert "class=\"tag mine\"" in login_as("henan.bureau").get("/inbox").get_data(as_text=True)
    assert "class=\"tag mine\"" not in login_as("henan.bureau2").get("/inbox").get_data(as_text=True)


def test_the_api_filters_and_counts(client, session, three):
    token = client.post("/api/v1/token", json={"username": "henan.bureau", "password": PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get("/api/v1/tasks?q=洛阳&sort=zone", headers=headers).json
    assert [t["zone_name"] for t in body["items"]] == ["洛阳国检试验区"]
    assert body["total"] == 1 and body["counts"] == {"mine": 0, "groups": 1, "all": 1}
    refused = client.get("/api/v1/tasks?overdue=maybe", headers=headers)
    assert refused.status_code == 400 and "overdue" in refused.json["fields"]
    assert client.get("/api/v1/tasks?province=jiangxi", headers=headers).status_code == 403


def test_the_ordered_walk_and_the_sort_give_the_same_page(session, three):
    from workflow import worklist
    from workflow.models import utcnow

    for name in ("henan.bureau", "hq.leader"):
        reach = inbox.reach(session, user(session, name))
        query = worklist.Query(limit=1, offset=1)
        sorted_page = worklist.page(session, reach, query, utcnow(), 0)
        assert worklist.page(session, reach, query, utcnow(), 10**6) == sorted_page, name
