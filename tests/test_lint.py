"""`workflow lint`: problems located by file and element id; real modeler exports parse."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import LIFECYCLE
from workflow import engine
from workflow.cli import main

MIWG = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "miwg"


def bpmn(body: str, extra_ns: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t" {extra_ns}>
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {body}
  </bpmn:process>
</bpmn:definitions>""".encode()


TASK = """<bpmn:userTask id="{id}" {attrs}><bpmn:extensionElements>{ext}</bpmn:extensionElements>
<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="{id}" />
<bpmn:sequenceFlow id="f2" sourceRef="{id}" targetRef="end" />"""


def task(attrs='camunda:candidateGroups="bureau"', ext="", id="t1") -> bytes:
    return bpmn(TASK.format(id=id, attrs=attrs, ext=ext))


def problems(content: bytes) -> list[tuple[str, str]]:
    return [(p.element_id, p.message) for p in engine.lint({"m.bpmn": content})]


def test_the_shipped_model_is_clean():
    assert engine.lint({LIFECYCLE.name: LIFECYCLE.read_bytes()}) == []


def test_a_minimal_valid_model_is_clean():
    assert problems(task()) == []


@pytest.mark.parametrize(("content", "element", "fragment"), [
    (task(attrs=""), "t1", "nobody could act"),
    (task(attrs='camunda:candidateGroups="bureaux"'), "t1", "unknown roles: bureaux"),
    (task(attrs='camunda:candidateGroups="${group.x}"'), "t1", "not an expression"),
    (task(attrs='camunda:candidateGroups="bureau" camunda:dueDate="30 days"'), "t1", "ISO 8601"),
    (task(ext='<camunda:formData><camunda:formField id="d" label="D" type="enum" /></camunda:formData>'),
     "t1", "enum needs values"),
    (task(ext='<camunda:formData><camunda:formField id="d" label="D" type="money" /></camunda:formData>'),
     "t1", "type 'money'"),
    (task(ext='<camunda:formData><camunda:formField id="d" label="D" type="string"><camunda:validation>'
              '<camunda:constraint name="pattern" config="([" /></camunda:validation></camunda:formField>'
              '</camunda:formData>'), "t1", "pattern does not compile"),
    (task(id="pass", ext='<camunda:formData><camunda:formField id="d" label="D" type="enum">'
                         '<camunda:value id="pass" name="P" /></camunda:formField></camunda:formData>'),
     "pass", "also used by another element"),
    (task(ext='<camunda:properties><camunda:property name="stage" value="reviewing" /></camunda:properties>'),
     "t1", "property stage must be one of applying"),
    (task(ext='<camunda:properties><camunda:property name="zone_status" value="closed" /></camunda:properties>'),
     "t1", "property zone_status must be one of"),
])
def test_rule_problems_name_the_element(content, element, fragment):
    found = problems(content)
    assert any(el == element and fragment in msg for el, msg in found), found


def test_script_tasks_are_refused():
    body = """<bpmn:scriptTask id="s1" scriptFormat="python"><bpmn:incoming>f1</bpmn:incoming>
    <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>import os</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="s1" />
    <bpmn:sequenceFlow id="f2" sourceRef="s1" targetRef="end" />"""
    assert any(el == "s1" and "script tasks" in msg for el, msg in problems(bpmn(body)))


def test_unquoted_timer_duration_is_reported_on_its_event():
    body = """<bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:timerEventDefinition id="td"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">${P14D}</bpmn:timeDuration>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />"""
    assert any(el == "wait" and "JUEL" in msg for el, msg in problems(bpmn(body)))


def test_malformed_xml_is_reported_not_raised():
    found = engine.lint({"broken.bpmn": b"<bpmn:definitions"})
    assert found and found[0].file == "broken.bpmn" and "well-formed" in found[0].message


def test_cli_reports_file_element_and_message_and_exits_1(tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_bytes(task(attrs=""))
    result = CliRunner().invoke(main, ["lint", str(LIFECYCLE), str(bad)])
    assert result.exit_code == 1
    assert f"{LIFECYCLE}: ok" in result.output
    assert f"{bad}:t1: no camunda:candidateGroups" in result.output


def test_cli_exits_0_when_clean():
    result = CliRunner().invoke(main, ["lint", str(LIFECYCLE)])
    assert result.exit_code == 0, result.output


CAMUNDA = "exports/bpmn.io-Camunda-Modeler-18.6.1"
# Verdicts read off the files: (file, ok, [(element, severity, fragment) that must be reported],
# [elements that BPMN lets go without a sequence flow in or out, so no flow problem may name them]).
SAMPLE = [
    (f"{CAMUNDA}/C.6.0-export.bpmn", False,
     [("Event_0oxjqip", "error", "compensation is not run"), ("Activity_1qdxrgj", "warning", "send task"),
      ("Event_0isfp1w", "error", "Event_0isfp1w")],
     ["Activity_0hgj2bs", "Activity_1n0lwxw", "Activity_1t020b1", "Event_0oxjqip"]),
    (f"{CAMUNDA}/B.2.0-export.bpmn", False,
     [("Event_1lph52r", "error", "link events are not run"), ("Event_1wq0sy2", "error", "no incoming sequence flow"),
      ("Event_0pi17ux", "warning", "conditional event"), ("DataStoreReference_0t1ift6", "error", "data store"),
      ("Activity_00kk0w1", "warning", "service task")],
     ["Event_1lph52r", "Event_1ofkxhs"]),
    (f"{CAMUNDA}/A.4.0-export.bpmn", False, [("Task1Task", "error", "nobody's inbox")], []),
    (f"{CAMUNDA}/C.2.0-export.bpmn", False, [("Event_1gv31hi", "error", "wait forever")], []),
    (f"{CAMUNDA}/C.9.0-export.bpmn", False,
     [("Activity_0jbbqjd", "error", "camunda:decisionRef"), ("Activity_0r5vs4p", "warning", "calls nothing")], []),
    ("Reference/A.1.0.bpmn", False, [("", "error", "no executable process")], []),
]


def _miwg_problems(relative: str) -> list:
    return engine.lint({relative: (MIWG / relative).read_bytes()})


needs_miwg = pytest.mark.skipif(not MIWG.is_dir(), reason="the MIWG corpus (../shared/corpus/miwg) is not beside "
                                                          "this checkout")


@needs_miwg
@pytest.mark.parametrize(("relative", "ok", "reported", "flow_free"), SAMPLE, ids=[s[0] for s in SAMPLE])
def test_miwg_sample_verdicts(relative, ok, reported, flow_free):
    found = _miwg_problems(relative)
    assert (not any(p.severity == "error" for p in found)) is ok
    for element, severity, fragment in reported:
        assert any(p.element_id == element and p.severity == severity and fragment in p.message for p in found), \
            (element, fragment, [str(p) for p in found if p.element_id == element])
    flows = [p.element_id for p in found if p.message.startswith(("has no incoming", "has no outgoing"))]
    assert not set(flow_free) & set(flows)


@needs_miwg
def test_real_modeler_exports_lint_without_crashing():
    """Every MIWG model yields located problems with a severity; none makes the linter fail; each once."""
    files = sorted(MIWG.rglob("*.bpmn"))
    assert len(files) > 20
    for path in files:
        found = engine.lint({path.name: path.read_bytes()})
        assert all(p.file == path.name and p.message and p.severity in {"error", "warning"} for p in found)
        assert len(found) == len(set(found)), path


def test_a_task_without_candidates_falls_back_to_its_lane():
    body = TASK.format(id="t1", attrs="", ext="")
    laned = bpmn(f"""<bpmn:laneSet id="ls"><bpmn:lane id="lane_bureau" name="直属局">
      <bpmn:flowNodeRef>t1</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>{body}""")
    assert problems(laned) == []
    model = engine.compile_model({"m.bpmn": laned})
    assert model.element("t1").groups == ("bureau",)
    named = laned.replace('id="lane_bureau" name="直属局"'.encode(), b'id="Lane_1" name="hq_food"')
    assert engine.compile_model({"m.bpmn": named}).element("t1").groups == ("hq_food",)
