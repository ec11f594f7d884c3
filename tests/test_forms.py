import pytest

from tests.conftest import process_xml
from workflow import engine, forms
from workflow.errors import InvalidForm
from workflow.modelxml import Field, Option


def field(id="f", type="string", constraints=(("required", None),), options=(), properties=(), default=None):
    return Field(id=id, label=id, label_en=id, type=type, options=tuple(options), constraints=tuple(constraints),
                 properties=tuple(properties), default=default)


def errors_of(fields, raw, **kw):
    with pytest.raises(InvalidForm) as err:
        forms.clean(fields, raw, **kw)
    return {k: str(v) for k, v in err.value.fields.items()}


ZONE = field("zone_name", constraints=(("required", None), ("maxlength", "60"),
                                       ("pattern", "^[^\\s\u00a0\u3000]{2,}国检试验区$")),
             properties=(("help", "统一命名为“xx国检试验区”"),))
DECISION = field("decision", "enum", options=[Option("pass", "通过", "Pass"), Option("fail", "不通过", "Fail")])
POLICIES = field("policies", "enum", options=[Option("a", "A", "A"), Option("b", "B", "B"), Option("c", "C", "C")],
                 properties=(("multiple", "true"),))


def test_valid_values_are_cleaned_and_typed():
    fields = [ZONE, DECISION, POLICIES, field("n", "long", (("min", "0"), ("max", "10"))),
              field("d", "date"), field("ok", "boolean", ())]
    data = forms.clean(fields, {"zone_name": " 赣州国检试验区 ", "decision": "pass", "policies": ["c", "a", "a"],
                                "n": "7", "d": "2026-01-31", "ok": "on"})
    assert data == {"zone_name": "赣州国检试验区", "decision": "pass", "policies": ["a", "c"], "n": 7,
                    "d": "2026-01-31", "ok": True}


@pytest.mark.parametrize("name", [
    "郑州", "国检试验区", "郑 州国检试验区", "郑\u3000州国检试验区", "郑\u00a0州国检试验区",
    "郑州国检试验区（一期）", "x" * 56 + "国检试验区",
])
def test_zone_names_outside_the_unified_form_are_refused(name):
    assert "zone_name" in errors_of([ZONE], {"zone_name": name})


def test_every_bad_field_gets_its_own_message_at_once():
    errs = errors_of([ZONE, DECISION, POLICIES], {"zone_name": "", "decision": "maybe", "policies": ["z"]})
    assert errs == {"zone_name": "必填项", "decision": "不是可选的值", "policies": "不是可选的值"}


def test_pattern_message_carries_the_models_hint():
    assert errors_of([ZONE], {"zone_name": "郑州试验区"})["zone_name"] == "格式不符：统一命名为“xx国检试验区”"


@pytest.mark.parametrize(("f", "value", "message"), [
    (field("n", "long", (("max", "10"),)), "11", "不能大于 10"),
    (field("n", "long", ()), "1.5", "应为整数"),
    (field("n", "long", ()), True, "应为整数"),
    (field("d", "date"), "2026-02-30", "应为日期（YYYY-MM-DD）"),
    (field("d", "date"), "30/01/2026", "应为日期（YYYY-MM-DD）"),
    (field("b", "boolean", ()), "perhaps", "应为是或否"),
    (field("s", "string", (("minlength", "3"),)), "ab", "至少 3 个字符"),
    (field("s"), ["a", "b"], "只能填一个值"),
    (field("s"), {"nested": 1}, "应为文本"),
    (POLICIES, [{"x": 1}], "不是可选的值"),
    (POLICIES, 5, "应为选项列表"),
    (field("s"), "a\x00b", "含有不允许的字符"),
])
def test_type_and_constraint_errors(f, value, message):
    assert errors_of([f], {f.id: value}) == {f.id: message}


def test_required_multiple_needs_one_choice():
    required = field("p", "enum", options=[Option("a", "A", "A")], properties=(("multiple", "true"),))
    assert errors_of([required], {"p": []}) == {"p": "至少选择一项"}


def test_required_if_applies_only_for_the_named_value():
    number = field("approval_number", constraints=(("required_if", "decision=pass"),))
    assert errors_of([DECISION, number], {"decision": "pass"}) == {"approval_number": "必填项"}
    assert forms.clean([DECISION, number], {"decision": "fail"}) == {"decision": "fail", "approval_number": None}


def test_readonly_fields_keep_the_model_default():
    ro = field("r", constraints=(("readonly", None),), default="fixed")
    assert forms.clean([ro], {"r": "changed"}) == {"r": "fixed"}


def test_readonly_fields_without_a_default_are_left_out_so_the_task_keeps_their_value():
    ro = field("r", constraints=(("readonly", None), ("required", None)))
    assert forms.clean([ro, DECISION], {"r": "changed", "decision": "pass"}) == {"decision": "pass"}


def test_completing_a_task_with_a_readonly_field_keeps_the_earlier_value():
    model = engine.compile_model({"m.bpmn": process_xml("""
      <bpmn:userTask id="a" camunda:candidateGroups="bureau"><bpmn:extensionElements><camunda:formData>
        <camunda:formField id="amount" label="A" type="long" /></camunda:formData></bpmn:extensionElements>
        <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
      <bpmn:userTask id="b" camunda:candidateGroups="bureau"><bpmn:extensionElements><camunda:formData>
        <camunda:formField id="amount" label="A" type="long"><camunda:validation>
          <camunda:constraint name="readonly" /></camunda:validation></camunda:formField>
        <camunda:formField id="note" label="N" type="string" /></camunda:formData></bpmn:extensionElements>
        <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
      <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="a" />
      <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b" />
      <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="end" />""")})
    run = model.start()
    first = run.ready_tasks()[0]
    run.complete(first.engine_id, forms.clean(first.element.form, {"amount": "120"}))
    second = run.ready_tasks()[0]
    run.complete(second.engine_id, forms.clean(second.element.form, {"amount": "", "note": "ok"}))
    assert run.completed and run.data["amount"] == 120 and run.data["note"] == "ok"


def test_strict_refuses_unknown_keys():
    assert errors_of([DECISION], {"decision": "pass", "extra": "1"}, strict=True) == {"extra": "不是此表单的字段"}
    assert forms.clean([DECISION], {"decision": "pass", "extra": "1"}) == {"decision": "pass"}


def test_a_catastrophic_pattern_is_matched_in_linear_time():
    """Python's backtracking ``re`` takes hours for ^(a+)+$ against 40 a's and one other character."""
    nested = field("code", constraints=(("pattern", "^(a+)+$"),))
    assert errors_of([nested], {"code": "a" * 40 + "!"}) == {"code": "格式不符"}
    assert forms.clean([nested], {"code": "a" * 41}) == {"code": "a" * 41}


def test_a_value_is_capped_before_it_is_matched():
    loose = field("code", constraints=(("pattern", ".*"),))
    assert errors_of([loose], {"code": "a" * 10_001}) == {"code": "最多 10000 个字符"}
    assert forms.clean([loose], {"code": "a" * 10_000})["code"] == "a" * 10_000
