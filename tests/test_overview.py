"""The programme at a glance, scoped like every other page."""

import re
from datetime import timedelta

from tests.conftest import START, act, application, run_year, user
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


def test_every_cell_drills_down_to_the_zones_it_counts(app, session, zone, login_as):
    zones.file_application(session, user(session, "jiangxi.gov"),
                           application(zone_name="赣州国检试验区", province="jiangxi"), now=START)
    client = login_as("hq.leader")
    page = client.get("/overview").get_data(as_text=True)
    links = set(re.findall(r'href="(/zones\?[^"]+)"', page.replace("&amp;", "&")))
    assert {"/zones?province=henan&status=operating", "/zones?province=jiangxi&status=recommending",
            "/zones?province=henan", "/zones?status=operating"} <= links
    for link in links:
        listed = client.get(link).get_data(as_text=True)
        query = dict(p.split("=") for p in link.split("?")[1].split("&"))
        names = set(re.findall(r">([^<]*国检试验区)</a></td>", listed))
        expected = {n for n, p, s in (("郑州航空港国检试验区", "henan", "operating"),
                                      ("赣州国检试验区", "jiangxi", "recommending"))
                    if query.get("province", p) == p and query.get("status", s) == s}
        assert names == expected, link
    assert client.get("/zones?status=flying").status_code == 400


def test_lead_time_per_stage_throughput_per_quarter_and_overdue_per_organisation(app, session):
    first = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    act(session, "henan.bureau", "bureau_recommendation", START + timedelta(days=10), decision="recommend",
        comment="同意")
    act(session, "hq.clearance", "organise_acceptance", START + timedelta(days=12), acceptance_date="2027-01-20",
        acceptance_scope="现场")
    second = zones.file_application(session, user(session, "henan.gov"), application(zone_name="洛阳国检试验区"),
                                    now=START + timedelta(days=100))
    act(session, "henan.bureau", "bureau_recommendation", START + timedelta(days=130), decision="reject",
        comment="否")
    view = overview.build(session, user(session, "hq.leader"), now=START + timedelta(days=200))
    recommending = next(t for t in view.lead_times if t.stage == "recommending")
    assert recommending.count == 2 and recommending.median == 20 and recommending.p90 == 30
    accepting = [t for t in view.lead_times if t.stage == "accepting"]
    assert accepting == [], "a stage still under way is not counted"
    assert view.throughput == [("2027 Q1", 1, 0, 0), ("2027 Q2", 1, 0, 1)]
    owed = {org.code: n for org, n in view.overdue_by_org}
    assert owed == {"hq-cnca": 1, "hq-health": 1, "hq-plant": 1, "hq-inspection": 1, "hq-food": 1,
                    "hq-clearance": 1}, "each unit owes its opinion on the first zone"
    assert first.id != second.id


def test_ratings_over_the_years_per_zone_with_names_and_calendar_years(app, session, zone, login_as):
    run_year(app, session, START, 95)
    page = login_as("hq.leader").get("/overview").get_data(as_text=True)
    chart = page[page.index('<svg class="chart ratings"'):]
    chart = chart[:chart.index("</svg>")]
    assert "郑州航空港国检试验区" in chart and ">2027<" in chart and "≥90" in chart
    assert "<desc" in chart and "95.0" in chart
