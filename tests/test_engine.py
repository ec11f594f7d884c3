"""Every path of the zone lifecycle, with the saved state round-tripped through JSON after every step."""

import json

import pytest

from tests.conftest import LIFECYCLE, application
from workflow import engine
from workflow.errors import InvalidModel, NotFound, TaskAlreadyDone

UNITS = ["opinion_clearance", "opinion_cnca", "opinion_health", "opinion_plant_animal",
         "opinion_inspection", "opinion_food"]


class Driver:
    """Completes tasks by BPMN id and reloads the run from its JSON state after every step."""

    def __init__(self, model):
        self.model = model
        self.run = model.start()
        self.sizes = []

    def ready(self):
        return sorted(t.bpmn_id for t in self.run.ready_tasks())

    def do(self, bpmn_id, **data):
        task = next(t for t in self.run.ready_tasks() if t.bpmn_id == bpmn_id)
        self.run.complete(task.engine_id, data)
        text = json.dumps(self.run.state())
        self.sizes.append(len(text))
        self.run = self.model.restore(json.loads(text))

    def opinions(self, decision="pass"):
        for unit in UNITS:
            self.do(unit, decision=decision, comment="意见")

    def end(self):
        assert self.run.completed
        return self.run.end_event().id


def to_acceptance(d):
    d.do("submit_application", **application())
    d.do("bureau_recommendation", decision="recommend", comment="同意推荐")
    d.do("organise_acceptance", acceptance_date="2026-12-01", acceptance_scope="现场验收")


def test_straight_through_to_operating(model):
    d = Driver(model)
    assert d.ready() == ["submit_application"]
    to_acceptance(d)
    assert d.ready() == sorted(UNITS)
    d.opinions()
    assert d.ready() == ["consolidate"]
    d.do("consolidate", decision="pass", comment="通过")
    assert d.ready() == ["hq_approval"]
    d.do("hq_approval", decision="approve", comment="同意", approval_number="国质检通函〔2026〕1号")
    assert d.end() == "zone_operating"
    assert model.element("zone_operating").prop("zone_status") == "operating"
    assert d.run.data["approval_number"] == "国质检通函〔2026〕1号"


def test_revise_goes_back_to_the_applicant_then_recommend(model):
    d = Driver(model)
    d.do("submit_application", **application())
    d.do("bureau_recommendation", decision="revise", comment="请补充预测业务量")
    assert d.ready() == ["submit_application"]
    d.do("submit_application", **application(forecast_volume="年 6 万批"))
    assert d.ready() == ["bureau_recommendation"]
    d.do("bureau_recommendation", decision="recommend", comment="同意推荐")
    assert d.ready() == ["organise_acceptance"]


def test_not_recommended_ends(model):
    d = Driver(model)
    d.do("submit_application", **application())
    d.do("bureau_recommendation", decision="reject", comment="不具备条件")
    assert d.end() == "not_recommended"
    assert model.element("not_recommended").prop("zone_status") == "rejected"


def test_rectify_then_acceptance_again_then_pass(model):
    d = Driver(model)
    to_acceptance(d)
    d.opinions("conditional")
    d.do("consolidate", decision="rectify", comment="请整改查验场地")
    assert d.ready() == ["rectification"]
    d.do("rectification", rectification_report="已完成整改")
    assert d.ready() == ["organise_acceptance"]
    d.do("organise_acceptance", acceptance_date="2027-01-10", acceptance_scope="复验")
    d.opinions()
    d.do("consolidate", decision="pass", comment="通过")
    d.do("hq_approval", decision="approve", comment="同意", approval_number="X")
    assert d.end() == "zone_operating"


def test_acceptance_rejected_ends(model):
    d = Driver(model)
    to_acceptance(d)
    d.opinions("fail")
    d.do("consolidate", decision="reject", comment="不予通过")
    assert d.end() == "acceptance_rejected"


def test_approval_rejected_ends(model):
    d = Driver(model)
    to_acceptance(d)
    d.opinions()
    d.do("consolidate", decision="pass", comment="通过")
    d.do("hq_approval", decision="reject", comment="暂缓")
    assert d.end() == "approval_rejected"


def test_unit_opinions_can_come_in_any_order(model):
    d = Driver(model)
    to_acceptance(d)
    for unit in reversed(UNITS):
        assert d.ready() != ["consolidate"]
        d.do(unit, decision="pass", comment="同意")
    assert d.ready() == ["consolidate"]


def test_saved_state_does_not_embed_the_spec(model):
    run = model.start()
    state = run.state()
    assert "spec" not in state and "subprocess_specs" not in state
    assert "submit_application" not in json.dumps(state).replace('"task_spec": "submit_application"', "")


def test_completing_a_finished_or_unknown_task_is_refused(model):
    run = model.start()
    task = run.ready_tasks()[0]
    run.complete(task.engine_id, application())
    with pytest.raises(TaskAlreadyDone):
        run.complete(task.engine_id, application())
    with pytest.raises(NotFound):
        run.complete("00000000-0000-0000-0000-000000000000", {})
    with pytest.raises(NotFound):
        run.complete("not-a-uuid", {})


def test_assignment_and_forms_are_read_from_the_camunda_attributes(model):
    rec = model.element("bureau_recommendation")
    assert rec.candidate_groups == ("bureau",)
    assert rec.due == "P30D"
    assert rec.prop("stage") == "recommending"
    decision = next(f for f in rec.form if f.id == "decision")
    assert [o.id for o in decision.options] == ["recommend", "revise", "reject"]
    assert model.element("opinion_cnca").prop("remit") == "third_party"
    assert model.element("opinion_food").lane == "食品局"


def test_model_cache_parses_each_version_once(monkeypatch):
    calls = []
    cache = engine.ModelCache()
    source = LIFECYCLE.read_bytes()

    def load():
        calls.append(1)
        return engine.compile_model({"a.bpmn": source})

    first = cache.get("hash-1", load)
    assert cache.get("hash-1", load) is first
    assert len(calls) == 1


def test_a_condition_with_juel_syntax_is_refused_at_compile_time():
    bad = LIFECYCLE.read_bytes().replace(b'decision == &quot;recommend&quot;', b"${decision == 'recommend'}")
    bad = bad.replace(b'decision == "recommend"', b"${decision == 'recommend'}")
    with pytest.raises(InvalidModel) as err:
        engine.compile_model({"bad.bpmn": bad})
    assert any(p.element_id == "f_recommended" and "JUEL" in p.message for p in err.value.problems)
