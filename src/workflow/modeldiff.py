"""Comparing two versions of a model: elements and sequence flows added, removed and changed, read from the XML."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from workflow.modelxml import BPMN, NS, read_elements, read_flows

_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True)


@dataclass(frozen=True)
class Change:
    """One element or sequence flow that differs, and what about it (``name``, ``kind``, ``form``...)."""

    id: str
    kind: str
    name: str
    status: str  # added | removed | changed
    aspects: tuple[str, ...] = ()
    name_en: str = ""

    def label(self, lang: str = "zh") -> str:
        return (self.name_en or self.name) if lang == "en" else self.name


@dataclass(frozen=True)
class Diff:
    changes: tuple[Change, ...]

    def of(self, status: str) -> list[Change]:
        return [c for c in self.changes if c.status == status]

    def ids(self, status: str) -> list[str]:
        return [c.id for c in self.of(status)]


def _conditions(root) -> dict[str, str]:
    found = {}
    for flow in root.iter(f"{{{BPMN}}}sequenceFlow"):
        text = flow.findtext(f"{{{BPMN}}}conditionExpression")
        found[flow.get("id", "")] = (text or "").strip()
    return found


def _facets(source: str) -> dict[str, tuple[str, tuple[str, str], dict[str, object]]]:
    """Each element and flow by id: (kind, (name, English name), the facets compared)."""
    root = etree.fromstring(source.encode(), _SAFE_XML)
    elements, _, _ = read_elements("", root)
    found: dict[str, tuple[str, tuple[str, str], dict[str, object]]] = {}
    for el in elements.values():
        found[el.id] = (el.kind, (el.name, el.name_en), {
            "name": (el.name, el.name_en), "kind": el.kind, "properties": el.properties,
            "form": el.form, "candidates": (el.candidate_groups, el.candidate_users, el.assignee, el.lane_id),
            "due": el.due, "decision_ref": el.decision_ref, "documentation": el.documentation,
            "targets": el.targets, "timer": _timer(root, el.id),
        })
    conditions = _conditions(root)
    names = {f.get("id"): ((f.get("name") or "").strip(), "".join(f.xpath(
        "./bpmn:extensionElements/camunda:properties/camunda:property[@name='name_en']/@value", namespaces=NS)))
        for f in root.iter(f"{{{BPMN}}}sequenceFlow")}
    for flow in read_flows(root):
        found[flow.id] = ("sequenceFlow", names.get(flow.id, ("", "")), {
            "name": names.get(flow.id), "route": (flow.source, flow.target), "condition": conditions.get(flow.id),
        })
    return found


def _timer(root, element_id: str) -> tuple[str, ...]:
    node = root.xpath("//*[@id=$id]", id=element_id)
    if not node:
        return ()
    texts = node[0].xpath("./bpmn:timerEventDefinition/*/text()", namespaces=NS)
    return tuple(t.strip() for t in texts)


def _aspect(key: str, old: object, new: object) -> str:
    """The facet's name; for a form, with the ids of the fields added, removed or changed."""
    if key != "form":
        return key
    before = {f.id: f for f in old}  # type: ignore[attr-defined]
    after = {f.id: f for f in new}  # type: ignore[attr-defined]
    fields = sorted(i for i in before.keys() | after.keys() if before.get(i) != after.get(i))
    return f"form: {', '.join(fields)}" if fields else "form"


def compare(old_source: str, new_source: str) -> Diff:
    """What changed from ``old_source`` to ``new_source``: removed first, then changed, then added (by id)."""
    old, new = _facets(old_source), _facets(new_source)
    changes = [Change(i, old[i][0], old[i][1][0], "removed", name_en=old[i][1][1]) for i in old if i not in new]
    for i in (i for i in old if i in new):
        aspects = tuple(_aspect(k, old[i][2][k], new[i][2][k]) for k in new[i][2] if old[i][2].get(k) != new[i][2][k])
        if aspects:
            changes.append(Change(i, new[i][0], new[i][1][0], "changed", aspects, new[i][1][1]))
    changes.extend(Change(i, new[i][0], new[i][1][0], "added", name_en=new[i][1][1]) for i in new if i not in old)
    return Diff(tuple(changes))
