"""`workflow lint` tells the truth: BPMN's flow rules, what the product ignores or cannot run, run-time failures
lint can see, messages that help, --fix, DMN tables, JSON, and refused DOCTYPEs."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from tests.conftest import LIFECYCLE, process_xml
from workflow import engine, fixes, modelxml, names
from workflow.cli import main
from workflow.errors import EngineFailure, InvalidModel
from workflow.services import deploy, progress

END = '<bpmn:endEvent id="end"><bpmn:incoming>{into}</bpmn:incoming></bpmn:endEvent>'
MESSAGE = '</bpmn:process><bpmn:message id="m" name="m" /><bpmn:signal id="s" name="s" /><bpmn:process id="other">'
T0 = datetime(2027, 1, 1, tzinfo=UTC)


def flow(id: str, source: str, target: str, condition: str = "") -> str:
    body = f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>' \
        if condition else ""
    return f'<bpmn:sequenceFlow id="{id}" sourceRef="{source}" targetRef="{target}">{body}</bpmn:sequenceFlow>'


def user_task(id: str, into: str, out: str, extra: str = "", attrs: str = 'camunda:candidateGroups="bureau"') -> str:
    return f'<bpmn:userTask id="{id}" {attrs}>{extra}<bpmn:incoming>{into}</bpmn:incoming>' \
           f'<bpmn:outgoing>{out}</bpmn:outgoing></bpmn:userTask>'


def through(element: str, tail: str = "") -> bytes:
    """start → ``element`` (id x, flow f1 in, f2 out) → end; then ``tail``."""
    return process_xml(element + END.format(into="f2") + flow("f1", "start", "x") + flow("f2", "x", "end") + tail)


def found(content: bytes, **files: bytes) -> list[modelxml.Problem]:
    return engine.lint({"m.bpmn": content, **files})


def said(problems, element: str, fragment: str, severity: str = "error") -> bool:
    return any(p.element_id == element and fragment in p.message and p.severity == severity for p in problems)


# 1. No false alarms where BPMN needs no sequence flow.

def test_event_subprocesses_compensation_and_ad_hoc_children_need_no_flows_and_are_said_once():
    body = user_task("x", "f1", "f2") + END.format(into="f2") + flow("f1", "start", "x") + flow("f2", "x", "end") + """
    <bpmn:subProcess id="esp" triggeredByEvent="true">
      <bpmn:startEvent id="es"><bpmn:outgoing>g1</bpmn:outgoing>
        <bpmn:errorEventDefinition id="ed" /></bpmn:startEvent>
      <bpmn:endEvent id="ee"><bpmn:incoming>g1</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="g1" sourceRef="es" targetRef="ee" /></bpmn:subProcess>
    <bpmn:boundaryEvent id="comp" attachedToRef="x"><bpmn:compensateEventDefinition id="cd" /></bpmn:boundaryEvent>
    <bpmn:serviceTask id="undo" isForCompensation="true" />
    <bpmn:association id="a1" associationDirection="One" sourceRef="comp" targetRef="undo" />"""
    problems = found(process_xml(body))
    assert not [p for p in problems if p.message.startswith("has no")], problems
    assert [(p.element_id, p.severity) for p in problems] == [("comp", "error")]
    assert "compensation is not run by this engine" in problems[0].message


def test_ad_hoc_children_need_no_flows():
    problems = found(through("""<bpmn:adHocSubProcess id="x"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:userTask id="a" camunda:candidateGroups="bureau" /><bpmn:userTask id="b" camunda:candidateGroups="bureau" />
      </bpmn:adHocSubProcess>"""))
    assert not [p for p in problems if p.message.startswith("has no")], problems


def test_link_events_are_said_once_each_and_not_as_missing_flows():
    body = """<bpmn:intermediateThrowEvent id="x"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:linkEventDefinition id="l1" name="jump" /></bpmn:intermediateThrowEvent>
      <bpmn:intermediateCatchEvent id="catch"><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:linkEventDefinition id="l2" name="jump" /></bpmn:intermediateCatchEvent>""" + END.format(into="f2") \
        + flow("f1", "start", "x") + flow("f2", "catch", "end")
    problems = found(process_xml(body))
    assert sorted(p.element_id for p in problems) == ["catch", "x"]
    assert all("link events are not run" in p.message for p in problems)


def test_a_missing_flow_is_still_reported():
    body = user_task("x", "f1", "f9") + END.format(into="f2") + flow("f1", "start", "x")
    assert said(found(process_xml(body)), "end", "has no incoming sequence flow")


# 2. What the product ignores or cannot run says so.

@pytest.mark.parametrize(("element", "target", "fragment", "severity"), [
    ('<bpmn:serviceTask id="x" camunda:class="a.B">', "x", "service task: this product calls nothing", "warning"),
    ('<bpmn:sendTask id="x">', "x", "sends nothing", "warning"),
    ('<bpmn:userTask id="x" camunda:candidateGroups="bureau" camunda:formKey="embedded:app:f.html">', "x",
     "camunda:formKey / formRef is ignored", "warning"),
    ('<bpmn:userTask id="x" camunda:candidateGroups="bureau"><bpmn:extensionElements><camunda:inputOutput>'
     '<camunda:inputParameter name="a">1</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements>',
     "x", "camunda:inputOutput is ignored", "warning"),
    ('<bpmn:userTask id="x" camunda:candidateGroups="bureau"><bpmn:extensionElements><camunda:taskListener '
     'class="a.B" event="create" /></bpmn:extensionElements>', "x", "camunda:taskListener is ignored", "warning"),
    ('<bpmn:userTask id="x" camunda:candidateGroups="bureau"><bpmn:extensionElements><camunda:executionListener '
     'class="a.B" event="start" /></bpmn:extensionElements>', "x", "camunda:executionListener is ignored", "warning"),
    ('<bpmn:receiveTask id="x" messageRef="m">', "x", "it would wait forever", "error"),
])
def test_ignored_or_unrunnable_constructs_are_named(element, target, fragment, severity):
    kind = element.split()[0][1:]
    content = through(f"{element}<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></{kind}>", MESSAGE)
    assert said(found(content), target, fragment, severity), found(content)


def test_catch_events_are_errors_only_when_nothing_could_deliver():
    def catching(definition: str, thrower: str = "") -> list[modelxml.Problem]:
        return found(through(f"""<bpmn:intermediateCatchEvent id="x"><bpmn:incoming>f1</bpmn:incoming>
          <bpmn:outgoing>f2</bpmn:outgoing>{definition}</bpmn:intermediateCatchEvent>{thrower}""", MESSAGE))
    assert said(catching('<bpmn:messageEventDefinition id="d" messageRef="m" />'), "x", "waits for message m")
    assert said(catching('<bpmn:signalEventDefinition id="d" signalRef="s" />'), "x", "waits for signal s")
    sender = """<bpmn:subProcess id="side"><bpmn:startEvent id="s2"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:endEvent id="e2"><bpmn:incoming>g1</bpmn:incoming><bpmn:messageEventDefinition id="t" messageRef="m" />
      </bpmn:endEvent><bpmn:sequenceFlow id="g1" sourceRef="s2" targetRef="e2" /></bpmn:subProcess>"""
    assert not [p for p in catching('<bpmn:messageEventDefinition id="d" messageRef="m" />', sender)
                if p.element_id == "x"]
    conditional = catching('<bpmn:conditionalEventDefinition id="d"><bpmn:condition xsi:type="bpmn:tFormalExpression">'
                           'period_no &gt; 1</bpmn:condition></bpmn:conditionalEventDefinition>')
    assert said(conditional, "x", "conditional event", "warning")


def test_start_forms_and_data_objects_are_warnings_that_do_not_refuse_the_model():
    body = user_task("x", "f1", "f2") + END.format(into="f2") + flow("f1", "start", "x") + flow("f2", "x", "end") \
        + '<bpmn:dataObject id="do" /><bpmn:dataObjectReference id="dref" dataObjectRef="do" />'
    content = body.replace("", "")
    xml = process_xml(content).replace(
        b'<bpmn:startEvent id="start">',
        b'<bpmn:startEvent id="start"><bpmn:extensionElements><camunda:formData><camunda:formField id="a" '
        b'label="A" type="string" /></camunda:formData></bpmn:extensionElements>')
    problems = found(xml)
    assert said(problems, "start", "a start event's form is not shown", "warning")
    assert said(problems, "dref", "data object", "warning")
    assert {p.severity for p in problems} == {"warning"}
    assert engine.compile_model({"m.bpmn": xml}).process_id == "p", "warnings do not refuse a model"


# 3. Run-time failures lint can see.

TIMER = """<bpmn:intermediateCatchEvent id="x"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
  <bpmn:timerEventDefinition id="td"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{value}</bpmn:timeDuration>
  </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"""


def test_an_unquoted_duration_is_caught_at_lint_with_the_quoted_value():
    problems = found(through(TIMER.format(value="PT5M")))
    assert [p.element_id for p in problems] == ["x"]
    assert 'quote it: "PT5M"' in problems[0].message


def test_an_unquoted_duration_that_slipped_past_lint_fails_cleanly_at_run_time(monkeypatch):
    monkeypatch.setattr(modelxml, "_check_expression", lambda *args, **kwargs: [])
    monkeypatch.setattr(names, "unprovided", lambda *args, **kwargs: [])
    model = engine.compile_model({"m.bpmn": through(TIMER.format(value="PT5M"))}, label="p v1")
    with pytest.raises(EngineFailure) as failed:
        model.start({}, T0)
    assert failed.value.element_id == "x" and 'quote it: "PT5M"' in str(failed.value)


GATEWAY = """<bpmn:eventBasedGateway id="g"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
  <bpmn:outgoing>f3</bpmn:outgoing></bpmn:eventBasedGateway>
  <bpmn:intermediateCatchEvent id="late"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
  <bpmn:timerEventDefinition id="td"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT5M"</bpmn:timeDuration>
  </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  <bpmn:intermediateCatchEvent id="answer"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
  <bpmn:messageEventDefinition id="md" messageRef="m" /></bpmn:intermediateCatchEvent>
  <bpmn:endEvent id="end1"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  <bpmn:endEvent id="end2"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>""" + flow("f1", "start", "g") \
    + flow("f2", "g", "late") + flow("f3", "g", "answer") + flow("f4", "late", "end1") \
    + flow("f5", "answer", "end2") + MESSAGE


def test_a_timer_after_an_event_based_gateway_is_scheduled_and_fires():
    content = process_xml(GATEWAY)
    assert not [p for p in found(content) if p.severity == "error"]
    model = engine.compile_model({"m.bpmn": content})
    run = model.start({}, T0)
    assert run.waiting_timers() == [("late", T0 + timedelta(minutes=5))]
    assert run.next_timer() == T0 + timedelta(minutes=5), "the worker finds the instance by this"
    run = model.restore(run.state())
    assert run.fire_timers(T0 + timedelta(minutes=4)) == [] and not run.completed
    done = run.fire_timers(T0 + timedelta(minutes=6))
    assert [d.element.id for d in done][-2:] == ["late", "end1"] and run.completed


def test_names_no_form_field_dmn_output_or_seed_provides_are_reported():
    body = user_task("x", "f1", "f2", '<bpmn:extensionElements><camunda:formData><camunda:formField id="amount" '
                     'label="A" type="long" /></camunda:formData></bpmn:extensionElements>') \
        + '<bpmn:exclusiveGateway id="g" default="f3"><bpmn:incoming>f2</bpmn:incoming>' \
        '<bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>' \
        + END.format(into="f3</bpmn:incoming><bpmn:incoming>f4") \
        + flow("f1", "start", "x") + flow("f2", "x", "g") + flow("f3", "g", "end") \
        + flow("f4", "g", "end", "amount &gt; 100 and period_no &gt; 1 and budget &gt; 5")
    problems = found(process_xml(body))
    assert [(p.element_id, p.message.split(",")[0]) for p in problems] == [("f4", "reads budget")]


def test_the_seed_names_lint_knows_are_the_seed(session, zone):
    assert set(progress.seed(session, zone, None, None)) == names.SEED_NAMES


def test_a_collection_written_as_an_expression_is_reported_not_a_type_error():
    mi = '<bpmn:multiInstanceLoopCharacteristics camunda:collection="{}" camunda:elementVariable="item" />'
    assert said(found(through(user_task("x", "f1", "f2", mi.format("${priority_policies}")))), "x",
                "write priority_policies, not ${priority_policies}")
    assert said(found(through(user_task("x", "f1", "f2", mi.format("nowhere")))), "x", "names nowhere")
    assert found(through(user_task("x", "f1", "f2", mi.format("priority_policies")))) == []


def test_a_plain_task_without_candidates_is_reported():
    content = through('<bpmn:task id="x"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
                      '</bpmn:task>')
    assert said(found(content), "x", "nobody's inbox")


def test_rule_and_engine_problems_come_in_one_round():
    body = user_task("x", "f1", "f2", attrs="") + """<bpmn:subProcess id="sub"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing></bpmn:subProcess>""" + END.format(into="f3") \
        + flow("f1", "start", "x") + flow("f2", "x", "sub") + flow("f3", "sub", "end")
    problems = found(process_xml(body))
    assert said(problems, "x", "nobody could act")
    assert said(problems, "sub", "Exactly one start event"), "the engine's own problem, located, in the same round"


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs" name="d" namespace="n">
  <decision id="first" name="First"><decisionTable id="t1" hitPolicy="FIRST">
    <input id="i1"><inputExpression id="ie1" typeRef="string"><text>kind</text></inputExpression></input>
    <output id="o1" name="level" typeRef="string" />
    <rule id="r1"><inputEntry id="c1"><text>{cell}</text></inputEntry>
    <outputEntry id="oe1"><text>"low"</text></outputEntry></rule>
    <rule id="r2"><inputEntry id="c2"><text>-</text></inputEntry><outputEntry id="oe2"><text>"none"</text>
    </outputEntry></rule></decisionTable></decision>
  <decision id="second" name="Second"><decisionTable id="t2" hitPolicy="FIRST">
    <input id="i2"><inputExpression id="ie2" typeRef="string"><text>kind</text></inputExpression></input>
    <output id="o2" name="grade" typeRef="string" />
    <rule id="r3"><inputEntry id="c3"><text>"a"</text></inputEntry><outputEntry id="oe3"><text>"A"</text></outputEntry>
    </rule><rule id="r4"><inputEntry id="c4"><text>-</text></inputEntry><outputEntry id="oe4"><text>"B"</text>
    </outputEntry></rule></decisionTable></decision>
</definitions>"""


@pytest.mark.parametrize(("cell", "fragment"), [
    ('in ("a","b")', 'write ? in ("a","b")'),
    ('"a","b"', "never equals it"),
    ("[1..5]", "FEEL"),
    ('not("a")', "FEEL"),
])
def test_dmn_cells_that_fail_or_mislead_at_run_time_are_reported(cell, fragment):
    problems = engine.lint({"t.dmn": DMN.format(cell=cell).encode()})
    assert said(problems, "r1", fragment), problems


def test_a_dmn_decision_is_selected_by_decision_ref_and_question_mark_cells_run():
    dmn = DMN.format(cell='? in ("a", "b")').encode()
    assert engine.lint({"t.dmn": dmn}) == []
    rule_task = ('<bpmn:businessRuleTask id="x" camunda:decisionRef="{ref}"><bpmn:incoming>f1</bpmn:incoming>'
                 '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>')
    body = user_task("ask", "f0", "f1", '<bpmn:extensionElements><camunda:formData><camunda:formField id="kind" '
                     'label="K" type="string" /></camunda:formData></bpmn:extensionElements>') \
        + "{task}" + user_task("look", "f2", "f9") + END.format(into="f9") + flow("f0", "start", "ask") \
        + flow("f1", "ask", "x") + flow("f2", "x", "look") + flow("f9", "look", "end")
    for ref, output, expected in (("second", "grade", "A"), ("first", "level", "low")):
        content = process_xml(body.replace("f1</bpmn:outgoing></bpmn:startEvent>", "").format(
            task=rule_task.format(ref=ref))).replace(b'<bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>',
                                                      b'<bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>')
        model = engine.compile_model({"m.bpmn": content, "t.dmn": dmn})
        run = model.start({}, T0)
        run.complete(run.ready_tasks()[0].engine_id, {"kind": "a"}, T0)
        assert run.ready_tasks()[0].data[output] == expected


# 4. Messages that help.

def test_feel_gets_the_same_hint_as_juel_with_the_rewrite():
    problems = found(through(user_task("x", "f1", "f2")).replace(
        b'<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="end">',
        b'<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="end"><bpmn:conditionExpression>=period_no &gt; 100'
        b'</bpmn:conditionExpression>'))
    assert said(problems, "f2", "FEEL syntax (=...) is not supported: write a Python expression")
    assert said(problems, "f2", "write: period_no > 100")


def test_due_date_messages_suggest_an_iso_duration():
    for due in ("${dueDate}", "in a week"):
        content = through(user_task("x", "f1", "f2", attrs=f'camunda:candidateGroups="bureau" camunda:dueDate="{due}"'))
        assert said(found(content), "x", "P7D"), due


def test_the_engines_own_messages_name_the_element():
    problems = found(process_xml(GATEWAY.replace('"PT5M"', '"PT5M" ').replace(
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT5M" </bpmn:timeDuration>', "")))
    engine_said = [p for p in problems if p.message.startswith("the engine refuses this")]
    assert engine_said and all(p.element_id and p.element_id in p.message for p in engine_said)


def test_a_camunda_prefix_bound_to_the_activiti_namespace_is_understood():
    content = process_xml(user_task("x", "f1", "f2") + END.format(into="f2") + flow("f1", "start", "x")
                          + flow("f2", "x", "end"), namespaces='xmlns:camunda="http://activiti.org/bpmn"')
    assert found(content) == []
    assert engine.compile_model({"m.bpmn": content}).element("x").groups == ("bureau",)


def test_fix_rewrites_safe_cases_shows_the_diff_and_writes_only_when_asked(tmp_path):
    path = tmp_path / "m.bpmn"
    original = through(TIMER.format(value="PT5M")).replace(
        b'<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="end">',
        b"<bpmn:sequenceFlow id=\"f2\" sourceRef=\"x\" targetRef=\"end\"><bpmn:conditionExpression>"
        b"${zone_name == 'a' &amp;&amp; period_no &gt; 1}</bpmn:conditionExpression>")
    path.write_bytes(original)
    shown = CliRunner().invoke(main, ["lint", "--diff", str(path)])
    assert shown.exit_code == 1 and path.read_bytes() == original, "--diff writes nothing"
    assert '"PT5M"' in shown.output and "(fixed)" in shown.output
    fixed = CliRunner().invoke(main, ["lint", "--fix", str(path)])
    assert fixed.exit_code == 0, fixed.output
    text = path.read_text()
    assert '>"PT5M"<' in text and 'zone_name == "a" and period_no &gt; 1' in text
    assert f"{path}: ok" in fixed.output and "-" in fixed.output
    assert text.replace('"PT5M"', "PT5M").replace('zone_name == "a" and period_no &gt; 1',
                                                  "${zone_name == 'a' &amp;&amp; period_no &gt; 1}") \
        == original.decode(), "nothing else changes"


# JSON, DMN files, and XML safety.

def test_json_output_lists_each_file_with_its_verdict_and_problems(tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_bytes(through('<bpmn:serviceTask id="x"><bpmn:incoming>f1</bpmn:incoming>'
                            '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>'))
    table = tmp_path / "t.dmn"
    table.write_text(DMN.format(cell='in ("a","b")'))
    result = CliRunner().invoke(main, ["lint", "--format", "json", str(LIFECYCLE), str(bad), str(table)])
    assert result.exit_code == 1
    reports = json.loads(result.output)
    assert [(r["file"], r["ok"]) for r in reports] == [(str(LIFECYCLE), True), (str(bad), True), (str(table), False)]
    assert reports[1]["problems"][0]["severity"] == "warning" and reports[1]["problems"][0]["element"] == "x"
    assert set(reports[2]["problems"][0]) == {"element", "severity", "message"}


def test_a_dmn_file_is_linted_on_its_own(tmp_path):
    table = tmp_path / "t.dmn"
    table.write_text(DMN.format(cell='"a"'))
    result = CliRunner().invoke(main, ["lint", str(table)])
    assert result.exit_code == 0 and result.output.strip() == f"{table}: ok"


ENTITY = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY name "EXPANDED">]>'
SYSTEM = b'<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://example.invalid/x.dtd">'


@pytest.mark.parametrize("doctype", [ENTITY, SYSTEM])
def test_a_doctype_is_refused_at_parse_lint_and_deploy(session, doctype):
    content = doctype + LIFECYCLE.read_bytes().split(b"?>", 1)[1].replace(b'name="', b'name="&name;', 1)
    with pytest.raises(modelxml.RefusedXML):
        modelxml.parse(content)
    problems = engine.lint({"m.bpmn": content})
    assert [p.message for p in problems] == [modelxml.DOCTYPE_REFUSED]
    with pytest.raises(InvalidModel, match="DOCTYPE"):
        deploy.deploy(session, "zone_lifecycle.bpmn", content)


def test_a_deployed_version_is_held_to_the_rules_of_its_day_but_never_to_a_doctype():
    """Rules added since a version was deployed do not stop its running zones; unreadable XML does."""
    content = through('<bpmn:task id="x"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
                      '</bpmn:task>')
    with pytest.raises(InvalidModel, match="nobody's inbox"):
        engine.compile_model({"m.bpmn": content})
    assert engine.compile_model({"m.bpmn": content}, "p", deployed=True).process_id == "p"
    with pytest.raises(InvalidModel, match="DOCTYPE"):
        engine.compile_model({"m.bpmn": SYSTEM + content.split(b"?>", 1)[1]}, "p", deployed=True)


def test_dmn_inputs_beside_a_model_must_be_provided():
    dmn = DMN.format(cell='"a"').encode()
    task = ('<bpmn:businessRuleTask id="x" camunda:decisionRef="first"><bpmn:incoming>f1</bpmn:incoming>'
            '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>')
    problems = found(through(task), **{"t.dmn": dmn})
    assert [(p.file, p.element_id) for p in problems] == [("t.dmn", "first"), ("t.dmn", "second")]
    assert "reads kind" in problems[0].message


def test_fix_leaves_what_it_cannot_rewrite_safely_alone():
    source = ('<bpmn:condition xsi:type="t" /><x/><bpmn:conditionExpression>${a.b()}</bpmn:conditionExpression>'
              '<bpmn:timeDuration><![CDATA[PT5M]]></bpmn:timeDuration><bpmn:timeDuration>"P1D"</bpmn:timeDuration>')
    assert fixes.fix_text(source) == (source, 0)
