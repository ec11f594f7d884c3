"""The task page: earlier steps' data shown read-only, as the model's ``show`` property names it."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import (
    MEASURE,
    PASSWORD,
    SCORES,
    START,
    UNIT_USERS,
    act,
    application,
    pass_at,
    report,
    run_year,
    user,
)
from workflow.errors import InvalidForm
from workflow.models import ZoneRecord
from workflow.modelxml import Element
from workflow.services import briefing, experiences, measures, tasks, zones
from workflow.timeparse import add_duration

DEPARTING = {**MEASURE, "departs_from_rules": True, "rules_departed": "检验检疫法实施条例第十六条：允许先放后检",
             "unit_concerned": "hq_cnca"}


def _page(session, name: str, bpmn_id: str):
    me = user(session, name)
    task = next(t for t in tasks.inbox(session, me) if t.bpmn_id == bpmn_id)
    return tasks.page(session, me, task.id)


def _shown(page) -> dict[str, dict[str, object]]:
    """Section title -> {field label: value}."""
    return {s.name: {f.label: s.data.get(f.id) for f in s.fields} for s in page.sections}


def test_show_is_parsed_into_sources_and_fields():
    assert briefing.entries("application, bureau_recommendation: guidance comment,records") == [
        ("application", ()), ("bureau_recommendation", ("guidance", "comment")), ("records", ())]
    assert briefing.spec_of(Element("t", "userTask", "t")) == briefing.DEFAULT
    assert briefing.spec_of(Element("t", "userTask", "t", properties=(("show", "measure"),))) == "measure"


def test_measure_approval_shows_the_content_and_the_rules_departed(session, zone):
    measures.file(session, user(session, "henan.bureau"), zone.id, DEPARTING)
    shown = _shown(_page(session, "hq.cnca", "approve_measure"))
    filed = shown["填报创新措施"]
    assert filed["措施内容"] == MEASURE["description"]
    assert filed["突破的规定及理由"] == DEPARTING["rules_departed"]
    assert list(shown) == ["填报创新措施"]


def test_proposal_review_shows_the_proposal_and_its_measure(session, zone):
    measure = measures.file(session, user(session, "henan.gov"), zone.id, MEASURE)
    proposal = {"title": "第三方检验结果采信", "kind": "measure", "summary": "做法甲", "results": "通关时间缩短"}
    experiences.propose(session, user(session, "henan.bureau"), zone.id, proposal, measure.id)
    page = _page(session, "hq.clearance", "review_replication")
    shown = _shown(page)
    assert shown["提出复制推广建议"]["主要做法"] == "做法甲"
    assert shown["提出复制推广建议"]["取得成效"] == "通关时间缩短"
    assert shown["填报创新措施"]["措施内容"] == MEASURE["description"]
    assert page.sections[0].person.username == "henan.bureau"


def test_acceptance_tasks_show_date_scope_guidance_and_the_application(session):
    zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    act(session, "henan.bureau", "bureau_recommendation", START, decision="recommend", comment="同意",
        guidance="加强冷链查验能力")
    act(session, "hq.clearance", "organise_acceptance", START, acceptance_date="2027-02-01",
        acceptance_scope="现场核查")
    shown = _shown(_page(session, "hq.food", "opinion_food"))
    assert shown["组织验收"] == {"验收日期": "2027-02-01", "验收范围和安排": "现场核查"}
    assert shown["直属局推荐意见"] == {"建设指导意见": "加强冷链查验能力"}
    assert shown["填报建设申请"]["运营企业"] == application()["operator"]


def test_the_acceptance_after_rectification_shows_the_report(session):
    zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    act(session, "henan.bureau", "bureau_recommendation", START, decision="recommend", comment="同意")
    act(session, "hq.clearance", "organise_acceptance", START, acceptance_date="2027-02-01", acceptance_scope="现场")
    for bpmn_id, name in UNIT_USERS.items():
        act(session, name, bpmn_id, START, decision="pass", comment="同意")
    act(session, "hq.clearance", "consolidate", START, decision="rectify", comment="冷库不足")
    assert _shown(_page(session, "henan.gov", "rectification"))["汇总验收结论"] == {"验收结论": "rectify",
                                                                               "结论说明": "冷库不足"}
    act(session, "henan.gov", "rectification", START, rectification_report="新建冷库两座" * 50)
    assert _shown(_page(session, "hq.clearance", "organise_acceptance"))["整改"]["整改情况报告"] == "新建冷库两座" * 50


def test_evaluation_shows_the_years_reports_and_risk_assessment(app, session, zone):
    run_year(app, session, START, [40, 40, 40, 40])  # a failing year: rectification follows
    page = _page(session, "henan.gov", "rectify_zone")
    rating = _shown(page)["评定等级"]
    assert rating["考核等级"] == "不合格"
    labels = ("改革措施实施效果（0-100）", "贸易便利化水平（0-100）", "国门安全与质量安全（0-100）",
              "创新措施成效（0-100）")
    assert [rating[label] for label in labels] == [40, 40, 40, 40]
    assert {f.id for f in page.sections[0].fields} >= set(SCORES)


def test_the_evaluation_task_lists_four_reports_with_issues(app, session, zone):
    for i, quarter in enumerate(["q1", "q2", "q3", "q4"], start=1):
        when = add_duration(START, f"P{3 * i}M") + timedelta(hours=1)
        pass_at(app, when)
        session.expire_all()
        if quarter == "q4":
            pass_at(app, when)
        report(session, quarter, when)
        if quarter == "q3":
            risk = add_duration(START, "P10M") + timedelta(hours=1)
            pass_at(app, risk)
            session.expire_all()
            act(session, "hq.clearance", "risk_assessment", risk, risk_level="medium", findings="冷链风险",
                measures="加密抽检")
    pass_at(app, add_duration(START, "P12M") + timedelta(hours=2))
    session.expire_all()
    shown = _shown(_page(session, "hq.clearance", "evaluation"))
    quarters = [k for k in shown if "季度" in k]
    assert len(quarters) == 4 and all("发现的问题及处理" in shown[q] for q in quarters)
    assert shown["组织风险评估"]["防控措施建议"] == "加密抽检"


def test_the_page_shows_sections_with_english_labels(login_as, session, zone):
    measures.file(session, user(session, "henan.bureau"), zone.id, DEPARTING)
    client = login_as("hq.cnca")
    task = next(t for t in tasks.inbox(session, user(session, "hq.cnca")))
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert DEPARTING["rules_departed"] in html and "突破的规定及理由" in html
    english = client.get(f"/tasks/{task.id}?lang=en").get_data(as_text=True)
    assert "Rules departed from, and why" in english


def _to_consolidation(session, food="fail"):
    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    act(session, "henan.bureau", "bureau_recommendation", START, decision="recommend", comment="同意")
    act(session, "hq.clearance", "organise_acceptance", START, acceptance_date="2027-02-01", acceptance_scope="现场")
    for bpmn_id, name in UNIT_USERS.items():
        if bpmn_id == "opinion_health":
            act(session, name, bpmn_id, START, decision="conditional", conditions="补充卫生检疫设施", comment="可以")
        else:
            act(session, name, bpmn_id, START, decision=food if bpmn_id == "opinion_food" else "pass",
                comment=f"{name} 的意见")
    return zone


def test_conditions_are_required_for_a_conditional_opinion(session):
    zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    act(session, "henan.bureau", "bureau_recommendation", START, decision="recommend", comment="同意")
    act(session, "hq.clearance", "organise_acceptance", START, acceptance_date="2027-02-01", acceptance_scope="现场")
    with pytest.raises(InvalidForm) as err:
        act(session, "hq.cnca", "opinion_cnca", START, decision="conditional", comment="可以")
    assert set(err.value.fields) == {"conditions"}


def test_consolidation_sees_the_six_opinions_and_a_tally(session):
    _to_consolidation(session)
    page = _page(session, "hq.clearance", "consolidate")
    assert [o.element.id for o in page.opinions] == list(UNIT_USERS)
    health = page.opinions[2]
    assert (health.decision_label("zh"), health.decision_label("en"), health.conditions) == (
        "有条件通过", "Pass with conditions", "补充卫生检疫设施")
    assert page.opinions[5].event.actor == "hq.food" and page.opinions[5].event.comment == "hq.food 的意见"
    assert [(t.label, t.count) for t in page.tally] == [("通过", 4), ("有条件通过", 1), ("不通过", 1)]


def test_passing_against_a_fail_needs_a_reason_checked_on_the_server(session):
    zone = _to_consolidation(session)
    with pytest.raises(InvalidForm) as err:
        act(session, "hq.clearance", "consolidate", START, decision="pass", comment="通过")
    assert set(err.value.fields) == {"confirm_reason"}
    session.rollback()
    assert [t.bpmn_id for t in tasks.inbox(session, user(session, "hq.clearance"))] == ["consolidate"]
    act(session, "hq.clearance", "consolidate", START, decision="rectify", comment="整改")  # no reason needed
    assert zone.status.value == "accepting"


def test_passing_against_a_fail_with_a_reason_goes_on(session):
    _to_consolidation(session)
    act(session, "hq.clearance", "consolidate", START, decision="pass", comment="通过",
        confirm_reason="食品局意见已落实")
    assert [t.bpmn_id for t in tasks.inbox(session, user(session, "hq.leader"))] == ["hq_approval"]


def test_passing_when_nobody_failed_needs_no_reason(session):
    _to_consolidation(session, food="pass")
    act(session, "hq.clearance", "consolidate", START, decision="pass", comment="通过")
    assert [t.bpmn_id for t in tasks.inbox(session, user(session, "hq.leader"))] == ["hq_approval"]


def test_the_consolidation_page_shows_the_table_and_refuses_without_reason(login_as, session):
    _to_consolidation(session)
    task = tasks.inbox(session, user(session, "hq.clearance"))[0]
    client = login_as("hq.clearance")
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert html.count('<tr class="o-') == 6 and "补充卫生检疫设施" in html and "不通过: 1" in html
    refused = client.post(f"/tasks/{task.id}", data={"decision": "pass", "comment": "通过", "csrf_token": client.csrf})
    assert refused.status_code == 400 and "食品局验收意见 的意见为不通过" in refused.get_data(as_text=True)


def test_the_api_refuses_passing_against_a_fail_without_reason(app, client, session):
    _to_consolidation(session)
    task = tasks.inbox(session, user(session, "hq.clearance"))[0]
    token = client.post("/api/v1/token", json={"username": "hq.clearance", "password": PASSWORD}).get_json()["token"]
    answer = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "pass", "comment": "x"}},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 400 and set(answer.get_json()["fields"]) == {"confirm_reason"}


def _recommendation(session, login_as):
    zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    task = tasks.inbox(session, user(session, "henan.bureau"))[0]
    return task, login_as("henan.bureau"), login_as("henan.bureau2")


def test_a_task_claimed_by_a_colleague_is_read_only(session, login_as):
    task, first, second = _recommendation(session, login_as)
    assert first.post(f"/tasks/{task.id}/claim", data={"csrf_token": first.csrf}).status_code == 302
    page = second.get(f"/tasks/{task.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "认领，您只能查看" in html and "河南局经办人" in html
    assert 'name="decision"' not in html and "提交" not in html and "释放" not in html
    assert application()["operator"] in html, "the colleague still sees what is being decided"
    mine = first.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="decision"' in mine and "释放" in mine


def test_a_done_task_from_a_bookmark_says_who_decided_what_and_when(session, login_as):
    task, first, second = _recommendation(session, login_as)
    done = first.post(f"/tasks/{task.id}", data={"decision": "revise", "comment": "补充业务量预测",
                                                 "csrf_token": first.csrf})
    assert done.status_code == 302
    page = second.get(f"/tasks/{task.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "此任务已办结" in html
    assert "河南局经办人" in html and "退回修改" in html and "补充业务量预测" in html
    assert f'href="/zones/{task.zone_id}"' in html and 'name="decision"' not in html
    again = second.post(f"/tasks/{task.id}", data={"decision": "recommend", "comment": "x", "csrf_token": second.csrf})
    assert again.status_code == 409 and "此任务已办结" in again.get_data(as_text=True)


def test_done_and_unseen_tasks_keep_their_answers_elsewhere(session, login_as):
    task, first, _ = _recommendation(session, login_as)
    assert login_as("jiangxi.bureau").get(f"/tasks/{task.id}").status_code == 404
    assert login_as("hq.food").get(f"/tasks/{task.id}").status_code == 403
    act(session, "henan.bureau", "bureau_recommendation", START, decision="recommend", comment="同意")
    assert login_as("hq.food").get(f"/tasks/{task.id}").status_code == 200, "a done step reads like the history"


def test_a_returned_application_comes_back_filled_in_with_the_reason_on_top(session, login_as):
    filed = application(forecast_volume="年 5 万批", priority_policies=["designated_port", "third_party"])
    zones.file_application(session, user(session, "henan.gov"), filed, now=START)
    act(session, "henan.bureau", "bureau_recommendation", START, decision="revise", comment="请补充业务量预测依据")
    page = _page(session, "henan.gov", "submit_application")
    assert page.values["forecast_volume"] == "年 5 万批"
    assert page.values["priority_policies"] == ["designated_port", "third_party"]
    assert page.task.due_at == START + timedelta(days=30)
    assert _shown(page)["直属局推荐意见"] == {"推荐意见": "revise", "推荐意见说明": "请补充业务量预测依据"}
    html = login_as("henan.gov").get(f"/tasks/{page.task.id}").get_data(as_text=True)
    assert ">年 5 万批</textarea>" in html and f'value="{filed["zone_name"]}"' in html
    assert html.index("请补充业务量预测依据") < html.index('name="zone_name"')
    assert re.search(r'value="designated_port"\s+checked', html) and not re.search(r'value="cbec_food"\s+checked', html)


def test_a_rectification_carries_a_due_date_from_the_model(session):
    _to_consolidation(session)
    act(session, "hq.clearance", "consolidate", START, decision="rectify", comment="整改")
    task = tasks.inbox(session, user(session, "henan.gov"))[0]
    assert task.bpmn_id == "rectification" and task.due_at == START + timedelta(days=90)


def _first_report(app, session, zone):
    when = add_duration(START, "P3M") + timedelta(hours=1)
    pass_at(app, when)
    session.expire_all()
    act(session, "henan.bureau", "report_q1", when, summary="运行正常", issues="冷链抽检发现 2 批次不合格，已退运",
        risk_level="low")
    return session.scalars(select(ZoneRecord).where(ZoneRecord.zone_id == zone.id, ZoneRecord.kind == "report")).one()


def test_a_record_has_a_detail_page_reachable_from_the_zone(app, session, zone, login_as):
    record = _first_report(app, session, zone)
    browser = login_as("hq.clearance")
    zone_page = browser.get(f"/zones/{zone.id}").get_data(as_text=True)
    assert f'href="/zones/{zone.id}/records/{record.id}"' in zone_page
    html = browser.get(f"/zones/{zone.id}/records/{record.id}").get_data(as_text=True)
    assert "发现的问题及处理" in html and "冷链抽检发现 2 批次不合格，已退运" in html and "河南局经办人" in html
    task = re.search(r'href="/tasks/(\d+)"', html)
    assert task and browser.get(f"/tasks/{task.group(1)}").status_code == 200


def test_the_record_api_lists_every_field_with_its_label(app, client, session, zone):
    record = _first_report(app, session, zone)
    token = client.post("/api/v1/token", json={"username": "henan.bureau", "password": PASSWORD}).json["token"]
    auth = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    body = client.get(f"/api/v1/zones/{zone.id}/records/{record.id}", headers=auth).json
    assert body["kind"] == "report" and body["actor"] == "henan.bureau" and body["task_id"]
    assert {f["id"]: f["label"] for f in body["fields"]}["issues"] == "Issues found and handling"
    assert client.get(f"/api/v1/zones/{zone.id}/records/{record.id + 99}", headers=auth).status_code == 404
    other = client.post("/api/v1/token", json={"username": "jiangxi.bureau", "password": PASSWORD}).json["token"]
    assert client.get(f"/api/v1/zones/{zone.id}/records/{record.id}",
                      headers={"Authorization": f"Bearer {other}"}).status_code == 404
    assert "/zones/{zone_id}/records/{record_id}" in client.get("/api/v1/openapi.json").json["paths"]


def test_an_irreversible_decision_asks_for_a_confirmation_first(session, login_as):
    task, bureau, _ = _recommendation(session, login_as)
    form = {"decision": "reject", "comment": "不具备条件", "csrf_token": bureau.csrf}
    asked = bureau.post(f"/tasks/{task.id}", data=form)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'id="confirm-panel"' in html and "不予推荐" in html
    assert 'name="confirmed" value="1"' in html and ">不具备条件</textarea>" in html
    session.expire_all()
    assert tasks.inbox(session, user(session, "henan.bureau")), "nothing decided yet"
    done = bureau.post(f"/tasks/{task.id}", data={**form, "confirmed": "1"})
    assert done.status_code == 302


def test_the_confirmation_comes_after_the_form_is_valid(session, login_as):
    task, bureau, _ = _recommendation(session, login_as)
    refused = bureau.post(f"/tasks/{task.id}", data={"decision": "reject", "csrf_token": bureau.csrf})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="confirm-panel"' not in html


def test_a_reversible_decision_needs_no_confirmation(session, login_as):
    task, bureau, _ = _recommendation(session, login_as)
    done = bureau.post(f"/tasks/{task.id}", data={"decision": "revise", "comment": "补充", "csrf_token": bureau.csrf})
    assert done.status_code == 302


def test_a_refused_submit_lists_and_links_each_field_in_an_error_summary(session, login_as):
    _to_consolidation(session)
    task = tasks.inbox(session, user(session, "hq.clearance"))[0]
    client = login_as("hq.clearance")
    html = client.post(f"/tasks/{task.id}", data={"csrf_token": client.csrf}).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary" id="error-summary" tabindex="-1" role="alert">(.+?)</div>',
                        html, re.S).group(1)
    assert re.findall(r'href="#(f-\w+)"', summary) == ["f-decision", "f-comment"]
    assert '<fieldset id="f-decision"' in html and 'id="f-comment"' in html
    assert "forms.js" in html


def test_required_if_markers_and_counters_are_rendered(session, login_as):
    zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    act(session, "henan.bureau", "bureau_recommendation", START, decision="recommend", comment="同意")
    act(session, "hq.clearance", "organise_acceptance", START, acceptance_date="2027-02-01", acceptance_scope="现场")
    task = tasks.inbox(session, user(session, "hq.cnca"))[0]
    client = login_as("hq.cnca")
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert re.search(r'data-required-if="decision=conditional" hidden>', html), "hidden until it applies"
    assert '<p class="counter" data-for="f-comment">0 / 4000 字</p>' in html
    html = client.post(f"/tasks/{task.id}", data={"decision": "conditional", "comment": "可以",
                                                  "csrf_token": client.csrf}).get_data(as_text=True)
    assert re.search(r'data-required-if="decision=conditional">', html), "shown once the condition holds"
    assert '<p class="counter" data-for="f-comment">2 / 4000 字</p>' in html


def test_dates_out_of_range_are_refused(session):
    zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    act(session, "henan.bureau", "bureau_recommendation", START, decision="recommend", comment="同意")
    for day in ("1999-12-31", "2100-01-01", "0001-01-01"):
        with pytest.raises(InvalidForm) as err:
            act(session, "hq.clearance", "organise_acceptance", START, acceptance_date=day, acceptance_scope="现场")
        assert set(err.value.fields) == {"acceptance_date"}
        session.rollback()


def test_the_province_choice_offers_only_the_users_own(login_as):
    html = login_as("henan.gov").get("/zones/new").get_data(as_text=True)
    select = re.search(r'<select id="f-province".+?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="(\w*)"', select) == ["", "henan"]


def test_the_confirmation_rule_is_reported_with_the_other_field_errors(session, login_as):
    _to_consolidation(session)
    task = tasks.inbox(session, user(session, "hq.clearance"))[0]
    client = login_as("hq.clearance")
    html = client.post(f"/tasks/{task.id}", data={"decision": "pass", "csrf_token": client.csrf}).get_data(as_text=True)
    summary = re.search(r'id="error-summary".+?</div>', html, re.S).group(0)
    assert re.findall(r'href="#(f-\w+)"', summary) == ["f-comment", "f-confirm_reason"]


def test_the_records_export_lists_every_readable_field(app, session, zone, login_as):
    run_year(app, session, START, [80, 80, 80, 80])
    hq = login_as("hq.clearance").get(f"/zones/{zone.id}/records.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(hq.lstrip("\ufeff"))))
    assert rows[0] == ["record_id", "period", "kind", "name", "at", "actor", "field", "label", "value"]
    findings = next(r for r in rows[1:] if r[6] == "findings")
    assert (findings[2], findings[7], findings[8]) == ("risk", "评估结论", "风险可控")
    assert any(r[2] == "report" and r[6] == "risk_level" and r[8] == "低" for r in rows[1:])
    gov = login_as("henan.gov").get(f"/zones/{zone.id}/records.csv").get_data(as_text=True)
    assert "运行正常" in gov and "风险可控" not in gov, "the HQ risk assessment is internal"
    assert login_as("jiangxi.gov").get(f"/zones/{zone.id}/records.csv").status_code == 404


def test_after_a_submit_the_official_lands_on_the_next_task_of_the_inbox(session, login_as):
    zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    zones.file_application(session, user(session, "henan.gov"), application(zone_name="开封国检试验区"), now=START)
    first, second = tasks.inbox(session, user(session, "henan.bureau"))
    bureau = login_as("henan.bureau")
    form = {"decision": "recommend", "comment": "同意", "csrf_token": bureau.csrf}
    done = bureau.post(f"/tasks/{first.id}", data=form)
    assert done.location == f"/tasks/{second.id}"
    landed = bureau.get(done.location).get_data(as_text=True)
    assert "已办结：直属局推荐意见" in landed and 'name="decision"' in landed
    assert bureau.post(f"/tasks/{second.id}", data=form).location == "/inbox"
