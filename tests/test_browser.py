"""In headless Chromium: henan.gov files an application; henan.bureau finds it in the inbox and recommends it.

Over a programme with zones at every stage, axe-core (vendored from npm by `make vendor`) checks every
page each kind of official reaches, and the focus ring is measured against what lies behind it.
"""

import re

import pytest

from tests import programme
from tests.browsing import axe_violations, launched, login, skip_without_chromium
from tests.server import served
from workflow import create_app
from workflow.config import ROOT

skip_without_chromium()

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('browser') / 'b.sqlite3'}"


@pytest.fixture(scope="module")
def base_url(db_url):
    with served(db_url) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with launched() as browser:
        yield browser




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
    row.locator("a[href^='/tasks/']").click()
    bureau.check("input[name=decision][value=recommend]")
    bureau.fill("#f-comment", "同意推荐，建议加强查验能力建设")
    bureau.click("button:has-text('提交')")
    bureau.wait_for_url("**/inbox")
    assert "已办结：直属局推荐意见" in bureau.content()
    bureau.goto(gov.url)
    assert bureau.locator("ol.stages li.current").inner_text() == "验收中"
    history = bureau.locator("ol.timeline").inner_text()
    assert "河南局经办人" in history and "河南检验检疫局" in history and "同意推荐，建议加强查验能力建设" in history
    bureau.wait_for_selector("#diagram[data-state=ready]", timeout=15000)
    assert bureau.locator("#diagram .djs-element.is-current").count() == 1, "organise_acceptance is highlighted"
    for step in ("submit_application", "bureau_recommendation", "recommendation_gateway"):
        assert bureau.locator(f'#diagram .djs-element.is-done[data-element-id="{step}"]').count() == 1, step
    assert bureau.locator('#diagram .djs-element.is-done[data-element-id="organise_acceptance"]').count() == 0
    assert "河南局经办人" in history and "河南检验检疫局" in history and "同意推荐，建议加强查验能力建设" in history
    bureau.wait_for_selector("#diagram[data-state=ready]", timeout=15000)
    assert bureau.locator("#diagram .djs-element.is-current").count() == 1, "organise_acceptance is highlighted"
    done = bureau.eval_on_selector_all("#diagram .djs-element.is-done", "els => els.map(e => e.dataset.elementId)")
    assert {"submit_application", "bureau_recommendation", "recommendation_gateway"} <= set(done)
    assert "organise_acceptance" not in done
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


AXE = ROOT / "web" / "static" / "vendor" / "axe.min.js"
# One of each kind of official (the other units' pages are those of hq.clearance without its extra tasks).
USERS = ["henan.gov", "jiangxi.gov", "henan.bureau", "henan.head", "hq.clearance", "hq.leader", "admin"]


@pytest.fixture(scope="module")
def programme_url(tmp_path_factory):
    """A server over the programme of tests/programme.py: zones at every stage."""
    url = f"sqlite:///{tmp_path_factory.mktemp('programme') / 'p.sqlite3'}"
    with served(url) as base:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "served-test"})
        programme.build(app)
        app.extensions["workflow.db"].dispose()
        yield base




def settle(page) -> None:
    if page.locator("#diagram").count():
        page.wait_for_selector("#diagram[data-state=ready], #diagram[data-state=failed]", timeout=15000)


def crawl(page, base_url, start="/inbox"):
    """Every page reachable by links from ``start``: each zone, and one page of every other kind."""
    queue, kinds = [start], set()
    while queue:
        path = queue.pop(0)
        kind = path.split("?")[0] if re.fullmatch(r"/zones/\d+(\?.*)?", path) else re.sub(r"\d+", "N", path)
        if kind in kinds:
            continue
        kinds.add(kind)
        page.goto(base_url + path)
        settle(page)
        yield path
        for href in page.eval_on_selector_all("a[href^='/']", "links => links.map(a => a.getAttribute('href'))"):
            if not any(skip in href for skip in ("/static/", "lang=", ".csv", ".bpmn", ".xes", ".pdf", "#")):
                queue.append(href)


def failed_requests(page) -> list[str]:
    """Collects every request of the page that answers 400 or more (an icon, a stylesheet, a script)."""
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return failed


@pytest.mark.parametrize("username", USERS)
def test_every_page_a_role_reaches_passes_axe_and_loads_whole(browser, programme_url, username):
    languages = ["zh-CN", "en"] if username in {"henan.bureau", "hq.clearance", "admin"} else ["zh-CN"]
    problems, visited = [], 0
    for language in languages:
        page = browser.new_context(locale=language).new_page()
        failed = failed_requests(page)
        page.goto(programme_url + "/login?lang=" + language[:2])
        login(page, programme_url, username)
        for path in crawl(page, programme_url):
            visited += 1
            problems += [f"{language} {path}: {v}" for v in axe_violations(page)]
        problems += [f"{language}: {f}" for f in failed]
        page.context.close()
    assert visited >= 8, "the walk reached the role's pages"
    assert problems == [], "\n".join(problems)


def test_pages_shown_after_a_refusal_pass_axe_too(browser, programme_url):
    page = browser.new_context(locale="zh-CN").new_page()
    failed = failed_requests(page)
    page.goto(programme_url + "/login")
    problems = [f"login: {v}" for v in axe_violations(page)]
    page.fill("#username", "henan.gov")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    page.wait_for_selector("p.error")
    assert page.evaluate("document.activeElement.id") == "password", "the password, to type again"
    problems += [f"failed login: {v}" for v in axe_violations(page)]
    login(page, programme_url, "henan.gov")
    page.goto(programme_url + "/zones/new")
    page.click("form.wide button[type=submit]")
    page.wait_for_selector("p.error")
    problems += [f"refused application: {v}" for v in axe_violations(page)]
    page.goto(programme_url + "/zones/999")
    page.wait_for_selector("p[role=alert]")
    problems += [f"404: {v}" for v in axe_violations(page)]
    assert problems == [], "\n".join(problems)
    expected = [f"400 {programme_url}/zones/new", f"401 {programme_url}/login", f"404 {programme_url}/zones/999"]
    assert sorted(failed) == expected, "the refusals themselves, and no icon or asset missing"


FOCUS_RING = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const el = document.activeElement;
  const style = getComputedStyle(el);
  let behind = el.parentElement, bg = [255, 255, 255];
  while (behind) { const c = rgb(getComputedStyle(behind).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c; break; } behind = behind.parentElement; }
  return {what: el.tagName + (el.id ? '#' + el.id : '') + ' ' + (el.textContent || '').trim().slice(0, 20),
          style: style.outlineStyle, width: parseFloat(style.outlineWidth),
          ratio: ratio(rgb(style.outlineColor), bg)};
}"""


def test_the_focus_ring_stands_out_wherever_the_keyboard_goes(browser, programme_url):
    page = browser.new_context(locale="zh-CN").new_page()
    login(page, programme_url, "hq.clearance")
    weak = []
    for path in ("/inbox", "/zones", "/experiences", "/zones/2"):
        page.goto(programme_url + path)
        settle(page)
        for _ in range(30):
            page.keyboard.press("Tab")
            ring = page.evaluate(FOCUS_RING)
            if ring["what"].startswith("BODY"):
                break
            if ring["style"] == "none" or ring["width"] < 2 or ring["ratio"] < 3:
                weak.append(f"{path} {ring}")
    assert weak == [], "\n".join(weak)
def overflow(page) -> int:
    """How far the page scrolls sideways (0: it fits the window)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.fixture(scope="module")
def zone_at_acceptance(db_url, base_url) -> int:
    """A zone recommended after a revision, with three of six opinions given."""
    from datetime import timedelta

    from tests.conftest import START, UNIT_USERS, application, user
    from workflow.db import Database
    from workflow.services import tasks, zones

    def act(s, name, bpmn_id, now, **data):
        me = user(s, name)
        task = next(t for t in tasks.inbox(s, me) if t.bpmn_id == bpmn_id and t.zone_id == zone.id)
        tasks.complete(s, me, task.id, data, now=now)

    db = Database(db_url)
    with db.session() as s:
        zone = zones.file_application(s, user(s, "henan.gov"), application(zone_name="洛阳国检试验区"), now=START)
        act(s, "henan.bureau", "bureau_recommendation", START, decision="revise", comment="请补充")
        act(s, "henan.gov", "submit_application", START + timedelta(days=2),
            **application(zone_name="洛阳国检试验区", forecast_volume="年 6 万批"))
        act(s, "henan.bureau", "bureau_recommendation", START + timedelta(days=3), decision="recommend",
            comment="同意推荐洛阳")
        act(s, "hq.clearance", "organise_acceptance", START + timedelta(days=4), acceptance_date="2027-02-01",
            acceptance_scope="现场")
        for bpmn_id, name in list(UNIT_USERS.items())[:3]:
            act(s, name, bpmn_id, START + timedelta(days=5), decision="pass", comment="同意")
        zone_id = zone.id
    db.dispose()
    return zone_id


@pytest.mark.parametrize("width", [1280, 390])
def test_the_diagram_shows_the_path_readably_and_lists_an_elements_steps(browser, base_url, zone_at_acceptance, width):
    zone_id = zone_at_acceptance
    page = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900}).new_page()
    login(page, base_url, "hq.clearance")
    page.goto(f"{base_url}/zones/{zone_id}")
    page.wait_for_selector("#diagram[data-state=ready]", timeout=15000)
    diagram = "#diagram .djs-element"
    current = page.eval_on_selector_all(f"{diagram}.is-current", "els => els.map(e => e.dataset.elementId)")
    assert sorted(current) == ["opinion_food", "opinion_inspection", "opinion_plant_animal", "opinions_join"]
    taken = page.eval_on_selector_all(f"{diagram}.is-taken", "els => els.map(e => e.dataset.elementId)")
    assert {"f_revise", "f_recommended", "f_split_clearance", "f_join_clearance"} <= set(taken)
    assert "f_not_recommended" not in taken and "f_pass" not in taken
    assert page.locator("ul.legend").inner_text().count("\n") >= 3, "a legend names every mark"

    label = page.locator(f"{diagram}.is-current text").first
    assert label.bounding_box()["height"] >= 11, "labels open at a readable size"
    assert overflow(page) == 0, "the page itself never scrolls sideways"
    box = page.locator("#diagram").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width

    page.locator(f"{diagram}.is-current").first.click()
    shown = page.locator("#element-steps .element:not([hidden])")
    assert shown.count() == 1 and "待办" in shown.inner_text()

    before = float(page.get_attribute("#diagram", "data-zoom"))
    page.click("button[data-zoom=in]")
    assert float(page.get_attribute("#diagram", "data-zoom")) > before
    page.click("button[data-zoom=fit]")
    assert float(page.get_attribute("#diagram", "data-zoom")) < before, "the whole diagram is smaller than 1:1"
    assert overflow(page) == 0

    page.locator(f"{diagram}.is-done[data-element-id=bureau_recommendation]").focus()
    page.keyboard.press("Enter")
    steps = page.locator("#element-steps .element:not([hidden])").inner_text()
    assert "直属局推荐意见" in steps and "同意推荐洛阳" in steps and "请补充" in steps, "who decided what, twice"
    assert "退回修改" in steps and "推荐" in steps and "2027-01-04" in steps



def test_the_overview_and_the_audit_log_fit_a_phone(browser, base_url, zone_at_acceptance):
    page = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 800}).new_page()
    login(page, base_url, "admin")
    for path in ("/overview", "/zones", "/admin/audit", f"/zones/{zone_at_acceptance}"):
        page.goto(base_url + path)
        assert overflow(page) == 0, path


def test_files_and_comments_on_the_zone_page(browser, base_url, tmp_path):
    """henan.gov files with the construction plan as a file, adds a file and a comment; hq.cnca downloads it."""
    plan, photo = tmp_path / "建设方案.pdf", tmp_path / "site.png"
    plan.write_bytes(b"%PDF-1.7\n%%EOF\n")
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    gov = browser.new_context(locale="zh-CN").new_page()
    login(gov, base_url, "henan.gov")
    gov.goto(base_url + "/zones/new")
    assert axe_violations(gov) == []
    for field, value in (("zone_name", "许昌国检试验区"), ("leading_body", "许昌领导小组"),
                         ("operator", "许昌运营公司"), ("industries", "发制品"), ("functions", "查验"),
                         ("design_scale", "0.5 平方公里"),
                         ("forecast_volume", "年 1 万批"), ("innovation_measures", "无")):
        gov.fill(f"#f-{field}", value)
    gov.select_option("#f-province", "henan")
    gov.check("input[name=priority_policies][value=third_party]")
    gov.set_input_files("#f-construction_plan_file", str(plan))
    gov.click("text=提交申请")
    gov.wait_for_url("**/zones/*")
    assert gov.locator("aside a[download]", has_text="建设方案.pdf").count() == 1
    gov.set_input_files("#attachment-file", str(photo))
    with gov.expect_navigation():
        gov.click("button:has-text('上传')")
    gov.fill("#comment-body", "现场照片已上传")
    with gov.expect_navigation():
        gov.click("button:has-text('发表')")
    settle(gov)
    assert gov.locator("ul.attachments li").count() == 2
    assert "现场照片已上传" in gov.locator("ol.comments").inner_text()
    timeline = gov.locator("ol.timeline").inner_text()
    assert "添加附件" in timeline and "发表意见" in timeline
    assert axe_violations(gov) == []
    hq = browser.new_context(locale="zh-CN").new_page()
    login(hq, base_url, "hq.cnca")
    hq.goto(gov.url)
    with hq.expect_download() as download:
        hq.locator("ul.attachments a", has_text="site.png").click()
    assert download.value.suggested_filename == "site.png"
    assert download.value.path().read_bytes() == photo.read_bytes()
def test_two_versions_compared_side_by_side_with_their_changes_marked(browser, base_url, db_url):
    from tests.conftest import LIFECYCLE, user
    from workflow.db import Database
    from workflow.services import deploy

    changed = LIFECYCLE.read_bytes().replace('name="直属局推荐意见"'.encode(), 'name="直属局推荐"'.encode(), 1)
    db = Database(db_url)
    with db.session() as s:
        new, _ = deploy.upload(s, user(s, "owner"), {"zone_lifecycle.bpmn": changed}, "rename")[0]
        old = next(v for v in deploy.versions(s) if v.process_id == "zone_lifecycle" and v.version == new.version - 1)
        old_id, new_id = old.id, new.id
    db.dispose()
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    failed = failed_requests(page)
    login(page, base_url, "owner")
    page.goto(f"{base_url}/processes/compare?old={old_id}&new={new_id}")
    for n in (1, 2):
        page.wait_for_selector(f"#diagram-{n}[data-state=ready]", timeout=15000)
        marked = page.eval_on_selector_all(f"#diagram-{n} .djs-element.is-changed",
                                           "els => els.map(e => e.dataset.elementId)")
        assert marked == ["bureau_recommendation"], n
    assert axe_violations(page) == []
    page.goto(f"{base_url}/processes/migrations")
    assert axe_violations(page) == []
    page.click("button[value=dry_run]")  # neither instances nor a version chosen: the form says so (400)
    page.wait_for_selector("#report[role=alert]")
    assert axe_violations(page) == []
    assert [f for f in failed if not f.startswith("400 ") or not f.endswith("/processes/migrations")] == []
def test_a_task_is_claimed_delegated_and_completed_by_the_colleague(browser, base_url):
    gov = browser.new_context(locale="zh-CN").new_page()
    login(gov, base_url, "henan.gov")
    gov.goto(base_url + "/zones/new")
    gov.fill("#f-zone_name", "新乡国检试验区")
    gov.select_option("#f-province", "henan")
    for field, value in (("leading_body", "新乡国检试验区建设领导小组"), ("operator", "新乡综合保税区运营公司"),
                         ("industries", "农产品加工"), ("functions", "查验、检测"), ("design_scale", "0.5 平方公里"),
                         ("forecast_volume", "年 1 万批"), ("innovation_measures", "出口农产品质量安全示范区")):
        gov.fill(f"#f-{field}", value)
    gov.check("input[name=priority_policies][value=quality_demo]")
    gov.click("text=提交申请")
    gov.wait_for_url("**/zones/*")

    bureau = browser.new_context(locale="zh-CN").new_page()
    login(bureau, base_url, "henan.bureau")
    bureau.fill("input[name=q]", "新乡")
    bureau.click("form.filters button[type=submit]")
    bureau.locator("table.list tr", has_text="新乡国检试验区").locator("td:nth-child(3) a").click()
    bureau.click("button:has-text('认领')")
    bureau.select_option("select[name=to]", "henan.bureau2")
    bureau.click("button:has-text('委托')")
    bureau.wait_for_url("**/inbox")
    row = bureau.locator("table.list tr", has_text="新乡国检试验区")
    assert "河南局经办人二" in row.inner_text(), "the inbox shows who holds it now"

    colleague = browser.new_context(locale="zh-CN").new_page()
    login(colleague, base_url, "henan.bureau2")
    colleague.goto(base_url + "/inbox?tab=mine")
    colleague.locator("table.list tr", has_text="新乡国检试验区").locator("td:nth-child(3) a").click()
    assert "委托您办理" in colleague.content()
    colleague.check("input[name=decision][value=recommend]")
    colleague.fill("#f-comment", "受托办理，同意推荐")
    with colleague.expect_navigation():  # on to the next task of the inbox, or the inbox
        colleague.click("form[novalidate] button:has-text('提交')")
    colleague.goto(gov.url)
    history = colleague.locator("ol.timeline").inner_text()
    assert "委托办理" in history and "河南局经办人 " in history + " " and "河南局经办人二" in history
    assert "受托办理，同意推荐" in history
    assert axe_violations(colleague) == []
