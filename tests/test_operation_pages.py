"""Pages of the operation years: the zone page shows them; measures and proposals are filed from it."""

import re
from datetime import timedelta

from tests.conftest import MEASURE, START, act, application, operating_zone, pass_at, run_year, user
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
    task_id = re.search(r'href="/tasks/(\d+)"', bureau.get("/inbox").get_data(as_text=True)).group(1)
    page = bureau.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "第一季度日常监督管理报告" in page and "郑州航空港投资集团有限公司" in page
    assert zone.status.value == "operating"


def _published(session):
    """A Henan measure published in the catalogue, and a Jiangxi zone that may adopt it."""
    from tests.conftest import act, user
    from workflow.services import experiences, measures

    henan = operating_zone(session)
    jiangxi = operating_zone(session, "jiangxi.gov", "赣州国检试验区", "jiangxi", "jiangxi.bureau")
    measure = measures.file(session, user(session, "henan.gov"), henan.id, MEASURE)
    experiences.propose(session, user(session, "henan.bureau"), henan.id,
                        {"title": "采信经验", "kind": "measure", "summary": "做法", "results": "成效"}, measure.id)
    act(session, "hq.clearance", "review_replication", START, decision="accept", comment="推广")
    return henan, jiangxi


def test_another_provinces_zone_is_named_not_linked(app, session, login_as):
    henan, jiangxi = _published(session)
    jx = login_as("jiangxi.bureau")
    assert jx.post("/experiences/1/adopt", data={"zone": str(jiangxi.id), "csrf_token": jx.csrf}).status_code == 302
    catalogue = jx.get("/experiences").get_data(as_text=True)
    assert "郑州航空港国检试验区" in catalogue and f'href="/zones/{henan.id}"' not in catalogue
    assert f'href="/zones/{jiangxi.id}"' in catalogue, "its own zone is a link"
    assert jx.get(f"/zones/{henan.id}").status_code == 404, "which is why"
    own = jx.get(f"/zones/{jiangxi.id}").get_data(as_text=True)
    assert "郑州航空港国检试验区" in own and f'href="/zones/{henan.id}"' not in own
    origin = login_as("henan.bureau").get(f"/zones/{henan.id}").get_data(as_text=True)
    assert "赣州国检试验区" in origin and f'href="/zones/{jiangxi.id}"' not in origin
    hq = login_as("hq.clearance").get("/experiences").get_data(as_text=True)
    assert f'href="/zones/{henan.id}"' in hq and f'href="/zones/{jiangxi.id}"' in hq


def test_the_adopt_form_is_not_offered_again_and_a_second_try_explains_itself(app, session, login_as):
    _, jiangxi = _published(session)
    jx = login_as("jiangxi.bureau")
    assert 'action="/experiences/1/adopt"' in jx.get("/experiences").get_data(as_text=True)
    assert jx.post("/experiences/1/adopt", data={"zone": str(jiangxi.id), "csrf_token": jx.csrf}).status_code == 302
    assert 'action="/experiences/1/adopt"' not in jx.get("/experiences").get_data(as_text=True)
    again = jx.post("/experiences/1/adopt", data={"zone": str(jiangxi.id), "csrf_token": jx.csrf})
    text = again.get_data(as_text=True)
    assert again.status_code == 409 and "该试验区已借鉴这项经验" in text and "采信经验" in text, "the catalogue again"


def test_proposing_a_measure_names_it_and_starts_from_it(app, session, login_as):
    from tests.conftest import user
    from workflow.services import measures

    zone = operating_zone(session)
    measure = measures.file(session, user(session, "henan.gov"), zone.id, MEASURE)
    bureau = login_as("henan.bureau")
    link = f"/zones/{zone.id}/experiences/new?measure={measure.id}"
    assert f'href="{link}"' in bureau.get(f"/zones/{zone.id}").get_data(as_text=True)
    page = bureau.get(link).get_data(as_text=True)
    assert "推广的创新措施" in page and page.count("第三方检验结果采信") >= 2
    assert 'id="f-title" name="title" value="第三方检验结果采信"' in page
    assert re.search(r'value="measure"\s+checked', page) and "采信第三方检验结果</textarea>" in page
    case = bureau.get(f"/zones/{zone.id}/experiences/new?kind=case").get_data(as_text=True)
    assert re.search(r'value="case"\s+checked', case)
    wrong = bureau.get(f"/zones/{zone.id}/experiences/new?measure=999")
    assert wrong.status_code == 400 and "只能推广本试验区的创新措施" in wrong.get_data(as_text=True)
