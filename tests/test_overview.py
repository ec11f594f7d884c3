"""The programme at a glance, scoped like every other page."""

from datetime import timedelta

from tests.conftest import START, application, run_year, user
from workflow.services import overview, zones


def test_overview_counts_overdue_work_and_ratings_within_scope(app, session, zone):
    run_year(app, session, START, 95)
    zones.file_application(session, user(session, "jiangxi.gov"),
                           application(zone_name="赣州国检试验区", province="jiangxi"), now=START)
    late = START + timedelta(days=400)
    hq = overview.build(session, user(session, "hq.leader"), now=late)
    assert hq.by_province == {"henan": {"operating": 1}, "jiangxi": {"recommending": 1}}
    assert {t.bpmn_id for t in hq.overdue} == {"bureau_recommendation", "commendation"}
    assert hq.ratings == {"优秀": 1}
    jx = overview.build(session, user(session, "jiangxi.bureau"), now=late)
    assert jx.by_province == {"jiangxi": {"recommending": 1}} and jx.ratings == {}
    assert [t.bpmn_id for t in jx.overdue] == ["bureau_recommendation"]


def test_overview_page_renders_for_hq_and_bureaus(app, session, zone, login_as):
    page = login_as("hq.leader").get("/overview")
    assert page.status_code == 200 and "河南" in page.get_data(as_text=True)
    assert "河南" in login_as("henan.bureau").get("/overview").get_data(as_text=True)
    assert "河南" not in login_as("jiangxi.bureau").get("/overview?lang=zh").get_data(as_text=True).split("<main")[1]
