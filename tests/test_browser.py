"""In headless Chromium: henan.gov files an application; henan.bureau finds it in the inbox and recommends it."""

import os
import shutil

import pytest

from tests.conftest import PASSWORD
from tests.server import served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM and not os.environ.get("WORKFLOW_REQUIRE_BROWSER"):
    pytest.skip("Debian's chromium is not installed here (apt-get install chromium); CI installs it",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "b.sqlite3"
    with served(f"sqlite:///{db}") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "chromium is required (WORKFLOW_REQUIRE_BROWSER is set)"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


def login(page, base_url, username):
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/inbox")


def test_application_is_filed_and_recommended(browser, base_url, tmp_path):
    gov = browser.new_context(locale="zh-CN").new_page()
    login(gov, base_url, "henan.gov")
    gov.click("nav >> text=试验区")
    gov.click("text=提出建设申请")
    gov.fill("#f-zone_name", "开封国检试验区")
    gov.select_option("#f-province", "henan")
    gov.fill("#f-leading_body", "开封国检试验区建设领导小组")
    gov.fill("#f-operator", "开封综合保税区运营公司")
    gov.fill("#f-industries", "农产品加工")
    gov.fill("#f-functions", "查验、检测")
    gov.fill("#f-design_scale", "0.8 平方公里")
    gov.fill("#f-forecast_volume", "年 2 万批")
    gov.check("input[name=priority_policies][value=quality_demo]")
    gov.fill("#f-innovation_measures", "出口农产品质量安全示范区")
    gov.click("text=提交申请")
    gov.wait_for_url("**/zones/*")
    assert "申请已提交：开封国检试验区" in gov.content()
    assert gov.locator("ol.stages li.current").inner_text() == "推荐中"
    gov.screenshot(path=str(tmp_path / "zone.png"), full_page=True)

    bureau = browser.new_context(locale="zh-CN").new_page()
    login(bureau, base_url, "henan.bureau")
    row = bureau.locator("table.list tr", has_text="开封国检试验区")
    assert row.count() == 1
    row.locator("a").click()
    bureau.check("input[name=decision][value=recommend]")
    bureau.fill("#f-comment", "同意推荐，建议加强查验能力建设")
    bureau.click("button:has-text('提交')")
    bureau.wait_for_url("**/zones/*")
    assert "已办结：直属局推荐意见" in bureau.content()
    assert bureau.locator("ol.stages li.current").inner_text() == "验收中"
    history = bureau.locator("ol.timeline").inner_text()
    assert "河南局经办人 · 河南检验检疫局" in history and "同意推荐，建议加强查验能力建设" in history
    bureau.wait_for_selector("#diagram[data-state=ready]", timeout=15000)
    assert bureau.locator("#diagram .djs-element.is-current").count() == 1, "organise_acceptance is highlighted"
    assert bureau.locator("#diagram .djs-element.is-done").count() == 2
    bureau.goto(base_url + "/inbox")
    assert bureau.locator("table.list tr", has_text="开封国检试验区").count() == 0


def test_a_wrong_field_is_flagged_in_place_and_the_keyboard_reaches_the_form(browser, base_url):
    page = browser.new_context(locale="zh-CN").new_page()
    login(page, base_url, "henan.gov")
    page.goto(base_url + "/zones/new")
    page.fill("#f-zone_name", "开封试验区")
    page.click("text=提交申请")
    assert page.locator("#zone_name-msg .error").inner_text().startswith("格式不符")
    assert page.locator("#f-zone_name").get_attribute("aria-invalid") == "true"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in {"A", "INPUT", "BUTTON"}
