"""Pages of the operation years: the zone page shows them; measures and proposals are filed from it."""

from datetime import timedelta

from tests.conftest import MEASURE, START, act, application, pass_at, run_year, user
from tests.conftest import approve_zone as operating_zone
from workflow.timeparse import add_duration


def test_zone_page_shows_ratings_records_and_measures(app, session, login_as):
    zone = operating_zone(session)
    run_year(app, session, START, 85)
    session.expire_all()
    pass_at(app, add_duration(START, "P15M"))
    bureau = login_as("henan.bureau")
    page = bureau.get(f"/zones/{zone.id}").get_data(as_text=True)
    assert '<svg class="chart ratings"' in page and "良好" in page
    assert page.count("日常监督管理报告") >= 4 and "组织风险评估" in page
    assert "第 2 年度 (2028)" in page, "each year's instance can be opened on the diagram"
    response = bureau.post(f"/zones/{zone.id}/measures/new", data={**MEASURE, "departs_from_rules": "",
                                                                   "csrf_token": bureau.csrf})
    assert response.status_code == 302
    assert "第三方检验结果采信" in bureau.get(f"/zones/{zone.id}").get_data(as_text=True)


def test_measure_form_errors_are_shown_in_place_and_nothing_is_saved(app, session, login_as):
    zone = operating_zone(session)
    gov = login_as("henan.gov")
    response = gov.post(f"/zones/{zone.id}/measures/new",
                        data={"title": "", "kind": "other", "departs_from_rules": "on", "csrf_token": gov.csrf})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    for field in ["title", "kind", "description", "rules_departed", "unit_concerned"]:
        assert f'id="{field}-msg"><span class="error">' in text, field
    assert "尚无创新措施" in gov.get(f"/zones/{zone.id}").get_data(as_text=True)


def test_no_measure_page_for_a_zone_in_application(session, login_as):
    from workflow.services import zones

    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    assert login_as("henan.gov").get(f"/zones/{zone.id}/measures/new").status_code == 409
    assert login_as("jiangxi.gov").get(f"/zones/{zone.id}/measures/new").status_code == 404


def test_catalogue_and_adoption_pages(app, session, login_as):
    from workflow.services import experiences, measures

    henan = operating_zone(session)
    jiangxi = operating_zone(session, "jiangxi.gov", "赣州国检试验区", "jiangxi", "jiangxi.bureau")
    measure = measures.file(session, user(session, "henan.gov"), henan.id, MEASURE)
    experiences.propose(session, user(session, "henan.bureau"), henan.id,
                        {"title": "采信经验", "kind": "measure", "summary": "做法", "results": "成效"}, measure.id)
    act(session, "hq.clearance", "review_replication", START, decision="accept", comment="推广")
    jx = login_as("jiangxi.bureau")
    assert "采信经验" in jx.get("/experiences").get_data(as_text=True)
    assert jx.post("/experiences/1/adopt", data={"zone": str(jiangxi.id), "csrf_token": jx.csrf}).status_code == 302
    assert "采信经验" in jx.get(f"/zones/{jiangxi.id}").get_data(as_text=True)
    origin = login_as("henan.bureau").get(f"/zones/{henan.id}").get_data(as_text=True)
    assert "赣州国检试验区" in origin, "the origin zone shows who adopted it"


def test_supervision_task_pages_show_the_zones_application(app, session, login_as):
    zone = operating_zone(session)
    pass_at(app, add_duration(START, "P3M") + timedelta(hours=1))
    bureau = login_as("henan.bureau")
    import re

    task_id = re.search(r'href="/tasks/(\d+)"', bureau.get("/inbox").get_data(as_text=True)).group(1)
    page = bureau.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "第一季度日常监督管理报告" in page and "郑州航空港投资集团有限公司" in page
    assert zone.status.value == "operating"
