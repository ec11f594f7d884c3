"""Hostile or broken models: refused at lint with the element named, or stopped by the engine's budget."""

import pytest
from click.testing import CliRunner

from tests.test_lint import bpmn, task
from workflow import engine, limits
from workflow.cli import main
from workflow.errors import EngineFailure

WAIT = '<bpmn:userTask id="t1" camunda:candidateGroups="bureau"><bpmn:incoming>{into}</bpmn:incoming>' \
       '<bpmn:outgoing>f9</bpmn:outgoing></bpmn:userTask><bpmn:endEvent id="end"><bpmn:incoming>f9</bpmn:incoming>' \
       '</bpmn:endEvent><bpmn:sequenceFlow id="f9" sourceRef="t1" targetRef="end" />'


def through(activity: str) -> bytes:
    """start → ``activity`` (id x, flows f1 in and f2 out) → a user task → end."""
    return bpmn(activity + WAIT.format(into="f2") + '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="x" />'
                '<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="t1" />')


def multi_instance(cardinality: str) -> bytes:
    return through(f"""<bpmn:task id="x" camunda:candidateGroups="bureau"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>{cardinality}</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics></bpmn:task>""")


def engine_loop(characteristics: str) -> bytes:
    """A standard loop on an embedded sub-process that does no more than start and end: the engine runs it."""
    return through(f"""<bpmn:subProcess id="x"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      {characteristics}<bpmn:startEvent id="s2"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:endEvent id="e2"><bpmn:incoming>g1</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="g1" sourceRef="s2" targetRef="e2" /></bpmn:subProcess>""")


ALWAYS = '<bpmn:standardLoopCharacteristics><bpmn:loopCondition>True</bpmn:loopCondition>' \
         '</bpmn:standardLoopCharacteristics>'

GATEWAY_LOOP = bpmn("""
  <bpmn:exclusiveGateway id="x"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>back</bpmn:incoming>
    <bpmn:outgoing>on</bpmn:outgoing></bpmn:exclusiveGateway>
  <bpmn:exclusiveGateway id="g2" default="f2"><bpmn:incoming>on</bpmn:incoming><bpmn:outgoing>back</bpmn:outgoing>
    <bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="x" />
  <bpmn:sequenceFlow id="on" sourceRef="x" targetRef="g2" />
  <bpmn:sequenceFlow id="back" sourceRef="g2" targetRef="x">
    <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">1 == 1</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f2" sourceRef="g2" targetRef="t1" />""" + WAIT.format(into="f2"))


def timer(kind: str, value: str) -> bytes:
    return through(f"""<bpmn:intermediateCatchEvent id="x"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:timerEventDefinition id="td">
      <bpmn:{kind} xsi:type="bpmn:tFormalExpression">{value}</bpmn:{kind}></bpmn:timerEventDefinition>
      </bpmn:intermediateCatchEvent>""")


def ending(starts: str) -> bytes:
    return bpmn(f"""<bpmn:userTask id="t1" camunda:candidateGroups="bureau"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask><bpmn:endEvent id="end"><bpmn:extensionElements>
      <camunda:properties><camunda:property name="starts" value="{starts}" /></camunda:properties>
      </bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t1" />
      <bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="end" />""")


def field(constraint: str, config: str) -> bytes:
    return task(ext=f'<camunda:formData><camunda:formField id="d" label="D" type="string"><camunda:validation>'
                    f'<camunda:constraint name="{constraint}" config="{config}" /></camunda:validation>'
                    f'</camunda:formField></camunda:formData>')


def periodic(period: str) -> bytes:
    return task().replace(b'isExecutable="true">', f'isExecutable="true"><bpmn:extensionElements><camunda:properties>'
                          f'<camunda:property name="period" value="{period}" /></camunda:properties>'
                          f'</bpmn:extensionElements>'.encode())


def lint(content: bytes, known=None) -> list[tuple[str, str]]:
    return [(p.element_id, p.message) for p in engine.lint({"m.bpmn": content}, known=known)]


@pytest.mark.parametrize(("content", "element", "fragment"), [
    (multi_instance("1000000000"), "x", "0 to 100 instances, not 1,000,000,000"),
    (multi_instance("100 * 100"), "x", "not 10,000"),
    (multi_instance('"many"'), "x", "whole number or a collection"),
    (multi_instance("${n}"), "x", "JUEL"),
    (engine_loop(ALWAYS), "x", "needs loopMaximum"),
    (engine_loop('<bpmn:standardLoopCharacteristics loopMaximum="1000000000" />'), "x", "from 1 to 100"),
    (engine_loop('<bpmn:standardLoopCharacteristics loopMaximum="' + "9" * 5000 + '" />'), "x", "from 1 to 100"),
    (GATEWAY_LOOP, "g2", "the loop g2 → x → g2 passes no user task"),
])
def test_unbounded_engine_work_is_refused_at_lint(content, element, fragment):
    found = lint(content)
    assert any(el == element and fragment in msg for el, msg in found), found


def test_a_loop_that_waits_for_a_person_each_round_is_allowed():
    looped = task().replace(b"<bpmn:incoming>f1</bpmn:incoming>",
                            b"<bpmn:incoming>f1</bpmn:incoming>" + ALWAYS.encode())
    assert lint(looped) == []


@pytest.mark.parametrize(("content", "element", "fragment"), [
    (timer("timeDuration", '"P999999999D"'), "x", "longer than 100 years"),
    (timer("timeDuration", '"P1000000000D"'), "x", "not an ISO 8601 duration"),
    (timer("timeDuration", '"P99999999M"'), "x", "longer than 100 years"),
    (timer("timeDate", '"not-a-date"'), "x", "not an ISO 8601 date-time"),
    (timer("timeDate", '"P30D"'), "x", "not an ISO 8601 date-time"),
    (timer("timeDate", '"9999-12-31T23:59:59"'), "x", "after 2999"),
    (timer("timeCycle", '"R5/PT0S"'), "x", "zero length"),
    (timer("timeCycle", '"R1000000000/P1D"'), "x", "1 to 1000 times"),
    (timer("timeCycle", '"R/P1D"'), "x", "needs a repeat count"),
    (timer("timeCycle", "42"), "x", "gives int, not text"),
    (task(attrs='camunda:candidateGroups="bureau" camunda:dueDate="P999999999D"'), "t1", "longer than 100 years"),
    (periodic("P999999999D"), "p", "period: longer than 100 years"),
    (periodic("P0D"), "p", "zero length"),
    (field("minlength", "1e400"), "t1", "whole number from 0 to 1,000,000"),
    (field("maxlength", "2.5"), "t1", "whole number"),
    (field("max", "inf"), "t1", "constraint max needs a number"),
    (field("min", "nan"), "t1", "constraint min needs a number"),
    (ending("p_next"), "end", "names p_next, which is neither deployed nor in this upload"),
    (ending("p,p"), "end", "more than once"),
    (ending("a,b,c,d,e,f"), "end", "at most 5"),
])
def test_values_that_overflow_are_refused_at_lint_naming_the_element(content, element, fragment):
    found = lint(content, known={"a", "b", "c", "d", "e", "f"})
    assert any(el == element and fragment in msg for el, msg in found), found


def test_sensible_timers_and_starts_pass():
    for content in (timer("timeDuration", '"P30D"'), timer("timeDate", '"2030-01-01T09:00:00+08:00"'),
                    timer("timeCycle", '"R4/P3M"'), timer("timeDuration", 'after(period_start, "P1D")')):
        assert lint(content) == [], content
    assert lint(ending("p_next"), known={"p_next"}) == []
    assert lint(ending("p"), known=set()) == [], "a process may start itself again (the next period)"


def test_cli_lint_reports_overflowing_values_without_a_traceback(tmp_path):
    for number, content in enumerate([timer("timeDuration", '"P999999999D"'), field("minlength", "1e400"),
                                      task(attrs='camunda:candidateGroups="bureau" camunda:dueDate="P999999999D"'),
                                      ending("nowhere")]):
        path = tmp_path / f"m{number}.bpmn"
        path.write_bytes(content)
        result = CliRunner().invoke(main, ["lint", str(path)])
        assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
        assert f"{path}:" in result.output and "Traceback" not in result.output, result.output


@pytest.fixture
def unlinted(monkeypatch):
    """Compile models as if the limits had not been checked (a version deployed before they existed)."""
    monkeypatch.setattr(limits, "model_problems", lambda *args, **kwargs: [])
    return lambda content: engine.compile_model({"m.bpmn": content}, label="p v9")


@pytest.mark.parametrize(("content", "element", "fragment"), [
    (multi_instance("1000000000"), "x", "0 to 100 instances"),
    (engine_loop(ALWAYS), "x s2 e2", "more than 1000 engine tasks"),
    (GATEWAY_LOOP, "x g2", "more than 1000 engine tasks"),
    (timer("timeDuration", '"P999999999D"'), "x", "longer than 100 years"),
    (timer("timeCycle", '"R5/PT0S"'), "x", "zero length"),
])
def test_the_engine_stops_what_slipped_past_lint(unlinted, content, element, fragment):
    model = unlinted(content)
    with pytest.raises(EngineFailure) as failed:
        model.start()
    assert failed.value.element_id in element.split() and fragment in str(failed.value)
    assert str(failed.value).startswith("p v9: "), "the owner learns which version failed"
    assert "已通知流程管理员" in str(failed.value.message)


def test_a_cardinality_from_task_data_is_checked_before_any_instance_exists():
    model = engine.compile_model({"m.bpmn": multi_instance("period_no")})  # a name the start data provides
    with pytest.raises(EngineFailure, match="not 1,000,000,000") as failed:
        model.start({"period_no": 10**9})
    assert failed.value.element_id == "x"
    assert [t.bpmn_id for t in model.start({"period_no": 3}).ready_tasks()] == ["x", "x", "x"]


def test_a_timer_computed_from_task_data_is_checked_before_the_engine_parses_it():
    model = engine.compile_model({"m.bpmn": timer("timeDuration", 'f"P{period_no}D"')})  # start data provides it
    with pytest.raises(EngineFailure, match="longer than 100 years"):
        model.start({"period_no": 999_999_999})
    assert model.start({"period_no": 3}).next_timer() is not None


def test_each_engine_call_has_a_budget_of_steps_and_time(monkeypatch):
    model = engine.compile_model({"m.bpmn": engine_loop(ALWAYS.replace("<bpmn:standardLoopCharacteristics>",
                                                                        '<bpmn:standardLoopCharacteristics '
                                                                        'loopMaximum="20">'))})
    assert [t.bpmn_id for t in model.start().ready_tasks()] == ["t1"], "20 rounds fit the budget"
    monkeypatch.setattr(limits, "BUDGET", limits.Budget(steps=10))
    with pytest.raises(EngineFailure, match="more than 10 engine steps"):
        model.start()
    monkeypatch.setattr(limits, "BUDGET", limits.Budget(seconds=-1))
    with pytest.raises(EngineFailure, match="ran for more than -1 s"):
        model.start()
