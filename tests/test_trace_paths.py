"""The path of each run on its diagram: exactly the sequence flows it took, for every path of every model,
and the same through GET /api/v1/zones/<id>/trace."""

from datetime import timedelta

import pytest

from tests.conftest import MEASURE, START, act, application, approve_zone, run_year, user
from tests.test_engine import UNITS, Driver, to_acceptance
from workflow.services import experiences, measures, zones
from workflow.timeparse import add_duration

TO_RECOMMENDATION = {"f_start", "f_to_application", "f_to_recommend", "f_rec_start", "f_rec_done", "f_to_rec_gw"}
TO_OPINIONS = TO_RECOMMENDATION | {"f_recommended", "f_to_organise", "f_to_split"} | {
    f"f_split_{u.removeprefix('opinion_')}" for u in UNITS} | {f"f_join_{u.removeprefix('opinion_')}" for u in UNITS}
TO_CONSOLIDATION = TO_OPINIONS | {"f_to_consolidate", "f_to_cons_gw"}


def taken(driver: Driver) -> set[str]:
    flows = driver.run.taken_flows()
    assert len(flows) == len(set(flows)), "each flow once"
    return set(flows)


def test_straight_through(model):
    d = Driver(model)
    assert taken(d) == {"f_start", "f_to_application"}
    to_acceptance(d)
    assert taken(d) == TO_RECOMMENDATION | {"f_recommended", "f_to_organise", "f_to_split"} | {
        f"f_split_{u.removeprefix('opinion_')}" for u in UNITS}, "the token stands on each opinion, not past it"
    d.opinions()
    d.do("consolidate", decision="pass", comment="通过")
    d.do("hq_approval", decision="approve", comment="同意", approval_number="X-1")
    assert taken(d) == TO_CONSOLIDATION | {"f_pass", "f_to_appr_gw", "f_approved"}


def test_revise_then_recommend_takes_the_loop_once(model):
    d = Driver(model)
    d.do("submit_application", **application())
    d.do("bureau_recommendation", decision="revise", comment="补充")
    assert taken(d) == TO_RECOMMENDATION | {"f_revise", "f_to_application"}
    d.do("submit_application", **application())
    d.do("bureau_recommendation", decision="recommend", comment="同意")
    assert taken(d) == TO_RECOMMENDATION | {"f_revise", "f_recommended", "f_to_organise"}


def test_rectify_then_pass(model):
    d = Driver(model)
    to_acceptance(d)
    d.opinions("conditional")
    d.do("consolidate", decision="rectify", comment="整改")
    assert {"f_rectify"} <= taken(d) and "f_rectified" not in taken(d)
    d.do("rectification", rectification_report="已整改")
    d.do("organise_acceptance", acceptance_date="2027-01-04", acceptance_scope="复验")
    d.opinions()
    d.do("consolidate", decision="pass", comment="通过")
    assert taken(d) == TO_CONSOLIDATION | {"f_rectify", "f_rectified", "f_pass"}


@pytest.mark.parametrize(("steps", "last"), [
    ([("bureau_recommendation", {"decision": "reject", "comment": "否"})], "f_not_recommended"),
    ([("bureau_recommendation", {"decision": "recommend", "comment": "是"}),
      ("organise_acceptance", {"acceptance_date": "2027-01-04", "acceptance_scope": "现场"}),
      *[(u, {"decision": "fail", "comment": "否"}) for u in UNITS],
      ("consolidate", {"decision": "reject", "comment": "否"})], "f_acc_reject"),
    ([("bureau_recommendation", {"decision": "recommend", "comment": "是"}),
      ("organise_acceptance", {"acceptance_date": "2027-01-04", "acceptance_scope": "现场"}),
      *[(u, {"decision": "pass", "comment": "是"}) for u in UNITS],
      ("consolidate", {"decision": "pass", "comment": "是"}),
      ("hq_approval", {"decision": "reject", "comment": "否"})], "f_appr_reject"),
], ids=["not_recommended", "acceptance_rejected", "approval_rejected"])
def test_each_rejection_ends_on_its_own_flow(model, steps, last):
    d = Driver(model)
    d.do("submit_application", **application())
    for bpmn_id, data in steps:
        d.do(bpmn_id, **data)
    flows = taken(d)
    assert last in flows
    assert not {"f_not_recommended", "f_acc_reject", "f_appr_reject", "f_approved"} - {last} & flows
    assert d.run.completed


def test_an_escalation_handled_and_one_withdrawn(model):
    handled = Driver(model)
    handled.do("submit_application", **application())
    handled.run.fire_timers(START + timedelta(days=400))
    assert {"f_overdue"} <= taken(handled) and "f_escalated" not in taken(handled)
    handled.do("recommendation_escalation", comment="督办")
    assert {"f_overdue", "f_escalated"} <= taken(handled)

    withdrawn = Driver(model)
    withdrawn.do("submit_application", **application())
    withdrawn.run.fire_timers(START + timedelta(days=400))
    withdrawn.do("bureau_recommendation", decision="recommend", comment="同意")
    flows = taken(withdrawn)
    assert "f_overdue" in flows, "the escalation was opened, then withdrawn"
    assert "f_escalated" not in flows


def test_no_timer_no_escalation_flow(model):
    d = Driver(model)
    d.do("submit_application", **application())
    d.do("bureau_recommendation", decision="recommend", comment="同意")
    assert "f_overdue" not in taken(d)


def year_flows(session, zone, period_no):
    instance = next(i for i in zone.instances if i.period_no == period_no)
    return set(zones.trace(session, user(session, "hq.clearance"), zone.id, instance.id).flows)


REPORTS = {"f_period_start", "f_q1_wait", "f_q1_report", "f_q2_wait", "f_q2_report", "f_q3_wait", "f_q3_report",
           "f_q4_wait", "f_q4_report", "f_reports_done", "f_risk_wait", "f_risk", "f_risk_done", "f_eval_wait",
           "f_eval", "f_rate", "f_rated"}


def test_supervision_years_commended_rectified_and_revoked(app, session):
    zone = approve_zone(session)
    end = run_year(app, session, START, 95)
    act(session, "hq.leader", "commendation", end, commendation_number="表扬1号", comment="好")
    session.expire_all()
    assert year_flows(session, zone, 1) == REPORTS | {"f_excellent", "f_commended", "f_evaluated", "f_closed"}
    assert year_flows(session, zone, 2) == {"f_period_start", "f_q1_wait", "f_risk_wait", "f_eval_wait"}

    end = run_year(app, session, add_duration(START, "P1Y"), 50)
    act(session, "henan.gov", "rectify_zone", end, rectification_report="已整改")
    act(session, "henan.bureau", "rectification_check", end, decision="redo", comment="不到位")
    act(session, "henan.gov", "rectify_zone", end, rectification_report="再整改")
    act(session, "henan.bureau", "rectification_check", end, decision="accepted", comment="到位")
    session.expire_all()
    assert year_flows(session, zone, 2) == REPORTS | {"f_fail_once", "f_rectify", "f_rectified", "f_checked", "f_redo",
                                                      "f_accepted", "f_evaluated", "f_closed"}

    end = run_year(app, session, add_duration(START, "P2Y"), 40)
    act(session, "hq.leader", "revocation_decision", end, decision="revoke", comment="撤销")
    session.expire_all()
    assert year_flows(session, zone, 3) == REPORTS | {"f_fail_twice", "f_decided", "f_revoke"}


def test_measures_and_proposals(app, session):
    zone = approve_zone(session)
    gov, hq = user(session, "henan.gov"), user(session, "hq.clearance")
    recorded = measures.file(session, gov, zone.id, MEASURE)
    reported = measures.file(session, user(session, "henan.bureau"), zone.id, {
        **MEASURE, "departs_from_rules": True, "rules_departed": "条例", "unit_concerned": "hq_cnca"})
    act(session, "hq.cnca", "approve_measure", START, decision="reject", comment="不同意")
    proposal = experiences.propose(session, user(session, "henan.bureau"), zone.id,
                                   {"title": "经验", "kind": "measure", "summary": "做法", "results": "好"},
                                   recorded.id)
    act(session, "hq.clearance", "review_replication", START, decision="accept", comment="推广")

    def flows(item):
        return set(zones.trace(session, hq, zone.id, item.instance_id).flows)

    assert flows(recorded) == {"f_m_start", "f_m_filed", "f_m_record"}
    assert flows(reported) == {"f_m_start", "f_m_filed", "f_m_departs", "f_m_decided", "f_m_rejected"}
    assert flows(proposal) == {"f_r_start", "f_r_proposed", "f_r_reviewed", "f_r_accept"}
    cases = zones.trace(session, hq, zone.id).cases
    assert [c.title for c in cases["measure"]] == [MEASURE["title"], MEASURE["title"]]
    assert [c.instance.id for c in cases["proposal"]] == [proposal.instance_id]
    assert [c.instance.period_no for c in cases["period"]] == [1]
    assert cases["lifecycle"][0].instance is zone.lifecycle


def api_token(client, username):
    from tests.conftest import PASSWORD

    response = client.post("/api/v1/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_the_trace_api_returns_xml_completed_active_and_flows(app, session, client):
    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    act(session, "henan.bureau", "bureau_recommendation", START, decision="recommend", comment="同意")
    headers = api_token(client, "hq.food")
    body = client.get(f"/api/v1/zones/{zone.id}/trace", headers=headers).get_json()
    assert body["xml"].startswith("<?xml") and 'id="zone_lifecycle"' in body["xml"]
    assert body["active"] == ["organise_acceptance"]
    assert {"submit_application", "bureau_recommendation", "recommendation_gateway"} <= set(body["completed"])
    assert "organise_acceptance" not in body["completed"]
    assert set(body["flows"]) == TO_RECOMMENDATION | {"f_recommended", "f_to_organise"}
    assert body["instance"] == zone.lifecycle.id and body["process_version"] == "zone_lifecycle:1"
    same = client.get(f"/api/v1/zones/{zone.id}/trace?instance={zone.lifecycle.id}", headers=headers)
    assert same.get_json() == body


def test_the_trace_api_refuses_bad_instances(app, session, client):
    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    other = zones.file_application(session, user(session, "henan.gov"), application(zone_name="开封国检试验区"),
                                   now=START)
    headers = api_token(client, "hq.food")
    bad = client.get(f"/api/v1/zones/{zone.id}/trace?instance=abc", headers=headers)
    assert bad.status_code == 400 and set(bad.get_json()["fields"]) == {"instance"}
    foreign = client.get(f"/api/v1/zones/{zone.id}/trace?instance={other.lifecycle.id}", headers=headers)
    assert foreign.status_code == 404
    hidden = client.get(f"/api/v1/zones/{zone.id}/trace", headers=api_token(client, "jiangxi.bureau"))
    assert hidden.status_code == 404
    page = client.get(f"/api/v1/zones/{zone.id}/trace?instance=0", headers=headers)
    assert page.status_code == 400
