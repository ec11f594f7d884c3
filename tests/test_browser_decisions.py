"""In headless Chromium: officials decide with what they decide on in view.

hq.cnca approves a measure seeing its content and the rules it departs from; hq.clearance
consolidates seeing the six units' opinions and their tally, and must give a reason to pass
against a unit's fail; henan.gov resubmits a returned application that comes back filled in.
axe-core checks the task pages.
"""


import pytest

from tests.browsing import axe_violations, launched, login, skip_without_chromium
from tests.conftest import MEASURE, START, UNIT_USERS, application, approve_zone, user
from tests.server import served
from workflow.db import Database
from workflow.services import measures, tasks, zones

skip_without_chromium()

pytestmark = pytest.mark.browser
RULES = "检验检疫法实施条例第十六条：改为先放后检"
REASON = "请补充业务量预测的依据"


def _act(session, name, bpmn_id, zone_id, **data):
    me = user(session, name)
    task = next(t for t in tasks.inbox(session, me) if t.bpmn_id == bpmn_id and t.zone_id == zone_id)
    tasks.complete(session, me, task.id, data, now=START)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    """An operating zone with a measure awaiting 认监委, and a zone whose six opinions await consolidation."""
    url = f"sqlite:///{tmp_path_factory.mktemp('decisions') / 'd.sqlite3'}"
    with served(url) as base:
        db = Database(url)
        with db.session() as s:
            zone = approve_zone(s)
            measures.file(s, user(s, "henan.bureau"), zone.id, {
                **MEASURE, "departs_from_rules": True, "rules_departed": RULES, "unit_concerned": "hq_cnca"})
            other = zones.file_application(s, user(s, "henan.gov"), application(zone_name="洛阳国检试验区"), now=START)
            _act(s, "henan.bureau", "bureau_recommendation", other.id, decision="recommend", comment="同意")
            _act(s, "hq.clearance", "organise_acceptance", other.id, acceptance_date="2027-02-01",
                 acceptance_scope="现场")
            for bpmn_id, name in UNIT_USERS.items():
                decision = "fail" if bpmn_id == "opinion_food" else "pass"
                _act(s, name, bpmn_id, other.id, decision=decision, comment=f"{name} 意见")
            returned = zones.file_application(s, user(s, "henan.gov"), application(
                zone_name="开封国检试验区", forecast_volume="年 2 万批"), now=START)
            _act(s, "henan.bureau", "bureau_recommendation", returned.id, decision="revise", comment=REASON)
        db.dispose()
        yield base


@pytest.fixture(scope="module")
def browser():
    with launched() as browser:
        yield browser






def test_cnca_approves_a_measure_seeing_its_content(browser, base_url):
    page = browser.new_context(locale="zh-CN").new_page()
    login(page, base_url, "hq.cnca")
    page.locator("table.list tr", has_text="创新措施报批").locator("a[href^='/tasks/']").click()
    briefing = page.locator(".briefing").inner_text()
    assert "措施内容" in briefing and MEASURE["description"] in briefing
    assert "突破的规定及理由" in briefing and RULES in briefing
    assert axe_violations(page) == []
    page.check("input[name=decision][value=approve]")
    page.fill("#f-comment", "同意试点")
    page.click("form[novalidate] button[type=submit]")
    page.wait_for_url("**/inbox")
    assert "已办结：创新措施报批" in page.content()


def test_clearance_consolidates_seeing_the_six_opinions(browser, base_url):
    page = browser.new_context(locale="zh-CN").new_page()
    login(page, base_url, "hq.clearance")
    page.locator("table.list tr", has_text="汇总验收结论").locator("a[href^='/tasks/']").click()
    rows = page.locator("section.opinions tbody tr")
    assert rows.count() == 6
    assert "食品局" in rows.nth(5).inner_text() and "不通过" in rows.nth(5).inner_text()
    assert "通过: 5" in page.locator("p.tally").inner_text()
    assert axe_violations(page) == []
    page.check("input[name=decision][value=pass]")
    page.fill("#f-comment", "同意通过")
    page.click("form[novalidate] button[type=submit]")
    assert "不通过" in page.locator("#confirm_reason-msg .error").inner_text()
    assert axe_violations(page) == []
    page.fill("#f-confirm_reason", "食品局所提问题已当场整改")
    page.click("form[novalidate] button[type=submit]")
    page.wait_for_url("**/inbox")
    assert "已办结：汇总验收结论" in page.content()


def test_gov_resubmits_a_returned_application_that_comes_back_filled_in(browser, base_url):
    page = browser.new_context(locale="zh-CN").new_page()
    login(page, base_url, "henan.gov")
    page.locator("table.list tr", has_text="开封国检试验区").locator("a[href^='/tasks/']").click()
    zone_url = base_url + page.locator("p.crumbs a[href^='/zones/']").get_attribute("href")
    assert REASON in page.locator(".briefing").inner_text()
    assert page.locator(".briefing").bounding_box()["y"] < page.locator("#f-zone_name").bounding_box()["y"]
    assert page.input_value("#f-zone_name") == "开封国检试验区"
    assert page.input_value("#f-operator") == application()["operator"]
    assert page.input_value("#f-forecast_volume") == "年 2 万批"
    assert page.is_checked("input[name=priority_policies][value=designated_port]")
    assert axe_violations(page) == []
    page.fill("#f-forecast_volume", "年 2 万批，依据：2026 年口岸进出口统计")
    page.click("form[novalidate] button[type=submit]")
    page.wait_for_url("**/inbox")
    assert "已办结：填报建设申请" in page.content()
    page.goto(zone_url)
    assert page.locator("ol.stages li.current").inner_text() == "推荐中"


def test_a_form_keeps_a_draft_until_it_is_submitted_or_discarded(browser, base_url):
    page = browser.new_context(locale="zh-CN").new_page()
    login(page, base_url, "jiangxi.gov")
    page.goto(base_url + "/zones/new")
    assert not page.is_visible(".draft-note")
    page.fill("#f-operator", "赣州综合保税区运营公司")
    page.reload()
    assert page.input_value("#f-operator") == "赣州综合保税区运营公司"
    assert page.is_visible(".draft-note")
    assert page.locator("p.counter[data-for=f-operator]").inner_text().startswith("11 /")
    page.click(".draft-note [data-discard]")
    page.wait_for_load_state()
    assert page.input_value("#f-operator") == "" and not page.is_visible(".draft-note")
