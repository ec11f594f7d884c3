"""Which flow nodes need incoming and outgoing sequence flows, by BPMN's own rules (lint).

Start and boundary events need no incoming flow, end events no outgoing one. Event subprocesses,
compensation handlers and the children of an ad-hoc subprocess are reached without sequence flows,
a link throw event continues at its catch event, and a compensation boundary event leads to its
handler by an association, not a flow.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from lxml import etree

from workflow.modelxml import BPMN, Problem

_NODES = {"subProcess", "callActivity", "transaction", "adHocSubProcess"}


def _local(node: Any) -> str:
    return etree.QName(node).localname


def _definitions(node: Any) -> set[str]:
    return {_local(d) for d in node if isinstance(d.tag, str) and _local(d).endswith("EventDefinition")}


def is_flow_node(node: Any) -> bool:
    """A BPMN flow node (activity, event or gateway) with an id."""
    if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN or not node.get("id"):
        return False
    return _local(node).endswith(("Task", "Event", "Gateway")) or _local(node) in _NODES or _local(node) == "task"


def _free(node: Any) -> bool:
    """Reached without sequence flows: an event subprocess, a compensation handler, an ad-hoc subprocess's child."""
    parent = node.getparent()
    return (node.get("triggeredByEvent") == "true" or node.get("isForCompensation") == "true"
            or (parent is not None and _local(parent) == "adHocSubProcess"))


def needs(node: Any) -> tuple[bool, bool]:
    """Whether a flow node needs an incoming and an outgoing sequence flow."""
    kind, definitions = _local(node), _definitions(node)
    if _free(node):
        return False, False
    incoming = kind not in {"startEvent", "boundaryEvent"} and not (
        kind == "intermediateCatchEvent" and "linkEventDefinition" in definitions)
    outgoing = kind != "endEvent" and not (
        kind == "intermediateThrowEvent" and "linkEventDefinition" in definitions) and not (
        kind == "boundaryEvent" and "compensateEventDefinition" in definitions)
    return incoming, outgoing


def flow_problems(filename: str, root: Any) -> list[Problem]:
    """A missing incoming or outgoing sequence flow where BPMN requires one."""
    problems = []
    for process in root.iterfind(f"{{{BPMN}}}process"):
        sequence = list(process.iter(f"{{{BPMN}}}sequenceFlow"))
        into = Counter(f.get("targetRef") for f in sequence)
        out = Counter(f.get("sourceRef") for f in sequence)
        for node in filter(is_flow_node, process.iter(etree.Element)):
            incoming, outgoing = needs(node)
            if outgoing and not out[node.get("id")]:
                problems.append(Problem(filename, node.get("id"),
                                        "has no outgoing sequence flow: the process would stop here"))
            if incoming and not into[node.get("id")]:
                problems.append(Problem(filename, node.get("id"),
                                        "has no incoming sequence flow: nothing can reach it"))
    return problems
