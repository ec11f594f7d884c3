"""What we read from BPMN XML ourselves: elements, lanes, forms, assignment, and our model rules.

SpiffWorkflow ignores ``camunda:candidateGroups``, ``assignee`` and ``dueDate``, and reads forms
only when ``camunda:formKey`` is set (Camunda Modeler's generated forms have none), so the
application takes all of that from the XML here and lets the engine only execute.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from workflow import expressions, fixes
from workflow.errors import InvalidExpression
from workflow.roles import lane_role

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
ACTIVITI = "http://activiti.org/bpmn"
DOCTYPE_REFUSED = "a DOCTYPE is not allowed in a model (no entities, no external DTD): remove it"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}

FIELD_TYPES = {"string", "text", "long", "boolean", "date", "enum", "file"}
CONSTRAINTS = {"required", "minlength", "maxlength", "min", "max", "pattern", "readonly", "required_if"}
HUMAN = {"userTask", "manualTask"}
VARIABLE = re.compile(r"^\$\{([A-Za-z]\w*)\}$")


def resolve(names: tuple[str, ...], data: dict) -> tuple[str, ...]:
    """Assignment names with ``${variable}`` entries replaced by that task-data value (a name or a list)."""
    out: list[str] = []
    for name in names:
        match = VARIABLE.match(name)
        if not match:
            out.append(name)
            continue
        value = data.get(match.group(1))
        values = value if isinstance(value, list) else [value]
        out.extend(v for v in values if isinstance(v, str) and v)
    return tuple(out)
_ACTIVITIES = {"task", "subProcess", "callActivity"}
_EXPRESSIONS = {"conditionExpression", "timeDuration", "timeDate", "timeCycle", "loopCardinality",
                "completionCondition", "loopCondition", "condition"}
_TIMER_KINDS = {"timeDuration", "timeDate", "timeCycle"}
_PASS_THROUGH = {"exclusiveGateway", "parallelGateway", "inclusiveGateway"}


@dataclass(frozen=True)
class Problem:
    """A model problem, located by file and element id; an ``error`` refuses the model, a ``warning`` does not."""

    file: str
    element_id: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.element_id}" if self.element_id else self.file
        return f"{where}: {'warning: ' if self.severity == 'warning' else ''}{self.message}"

    def as_json(self) -> dict[str, str]:
        return {"element": self.element_id, "severity": self.severity, "message": self.message}


class RefusedXML(etree.XMLSyntaxError):
    """XML the application will not read, although it is well-formed (a DOCTYPE)."""


def parse(content: bytes):
    """The root of a model document; refuses a DOCTYPE as a class (entities, external DTDs).

    Elements and attributes in the Activiti namespace are read as Camunda's (the two dialects share them).
    """
    root = etree.fromstring(content, _SAFE_XML)
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise RefusedXML(DOCTYPE_REFUSED, 0, 0, 0)
    if ACTIVITI.encode() in content:
        _as_camunda(root)
    return root


def _as_camunda(root) -> None:
    for node in root.iter(etree.Element):
        if etree.QName(node).namespace == ACTIVITI:
            node.tag = f"{{{CAMUNDA}}}{etree.QName(node).localname}"
        for key in [k for k in node.attrib if k.startswith(f"{{{ACTIVITI}}}")]:
            node.set(f"{{{CAMUNDA}}}{etree.QName(key).localname}", node.attrib.pop(key))


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    label_en: str


@dataclass(frozen=True)
class Field:
    """One ``camunda:formField``."""

    id: str
    label: str
    label_en: str
    type: str
    options: tuple[Option, ...] = ()
    constraints: tuple[tuple[str, str | None], ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    default: str | None = None

    def constraint(self, name: str) -> str | None:
        return dict(self.constraints).get(name)

    def has(self, name: str) -> bool:
        return any(n == name for n, _ in self.constraints)

    @property
    def required(self) -> bool:
        return self.has("required")

    @property
    def multiple(self) -> bool:
        return dict(self.properties).get("multiple") == "true"

    @property
    def widget(self) -> str:
        return dict(self.properties).get("widget", "")

    def option_label(self, option_id: str, lang: str = "zh") -> str:
        for opt in self.options:
            if opt.id == option_id:
                return opt.label_en if lang == "en" else opt.label
        return option_id


@dataclass(frozen=True)
class Element:
    """A flow node as the application sees it."""

    id: str
    kind: str
    name: str
    name_en: str = ""
    lane: str = ""
    lane_id: str = ""
    lane_en: str = ""
    properties: tuple[tuple[str, str], ...] = ()
    candidate_groups: tuple[str, ...] = ()
    candidate_users: tuple[str, ...] = ()
    assignee: str = ""
    due: str = ""
    priority: str = ""  # camunda:priority
    decision_ref: str = ""
    incoming: int = 0
    outgoing: int = 0
    form: tuple[Field, ...] = field(default=())
    documentation: str = ""
    targets: tuple[str, ...] = ()  # where its outgoing sequence flows lead
    scope: str = ""  # the id of the process or sub-process it belongs to
    trigger: str = ""  # an event's definition: "timer", "message", "error", "terminate", ... ("" for none)

    def prop(self, name: str, default: str = "") -> str:
        return dict(self.properties).get(name, default)

    def label(self, lang: str = "zh") -> str:
        return (self.name_en or self.name or self.id) if lang == "en" else (self.name or self.id)

    def doc(self, lang: str = "zh") -> str:
        """The element's documentation; in English its ``documentation_en`` property when it has one."""
        return (self.prop("documentation_en") or self.documentation) if lang == "en" else self.documentation

    @property
    def groups(self) -> tuple[str, ...]:
        """Candidate groups; when a task names no candidates at all, the role its lane stands for."""
        if self.candidate_groups or self.candidate_users or self.assignee:
            return self.candidate_groups
        role = lane_role(self.lane_id, self.lane)
        return (role,) if role else ()


def _props(node) -> tuple[tuple[str, str], ...]:
    found = node.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS)
    return tuple((p.get("name", ""), p.get("value", "")) for p in found)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def _field(node) -> Field:
    props = tuple(
        (p.get("id", ""), p.get("value", ""))
        for p in node.xpath("./camunda:properties/camunda:property", namespaces=NS)
    )
    en = {k[3:]: v for k, v in props if k.startswith("en.")}
    options = tuple(
        Option(v.get("id", ""), v.get("name", "") or v.get("id", ""), en.get(v.get("id", ""), v.get("name", "")))
        for v in node.xpath("./camunda:value", namespaces=NS)
    )
    constraints = tuple(
        (c.get("name", ""), c.get("config"))
        for c in node.xpath("./camunda:validation/camunda:constraint", namespaces=NS)
    )
    label = node.get("label") or node.get("id", "")
    return Field(
        id=node.get("id", ""), label=label, label_en=dict(props).get("label_en", label),
        type=node.get("type", "string"), options=options, constraints=constraints,
        properties=props, default=node.get("defaultValue"),
    )


def _element(node, lane: tuple[str, str, str], flows: tuple[Counter, Counter],
             targets: dict[str, list[str]]) -> Element:
    kind = etree.QName(node).localname
    props = _props(node)
    form = tuple(
        _field(f) for f in node.xpath("./bpmn:extensionElements/camunda:formData/camunda:formField", namespaces=NS)
    )
    doc = node.xpath("./bpmn:documentation/text()", namespaces=NS)
    definitions = [etree.QName(d).localname for d in node if isinstance(d.tag, str)
                   and etree.QName(d).localname.endswith("EventDefinition")]
    return Element(
        id=node.get("id", ""), kind=kind, name=(node.get("name") or "").strip(),
        name_en=dict(props).get("name_en", ""), lane=lane[1], lane_id=lane[0], lane_en=lane[2], properties=props,
        candidate_groups=_split(node.get(f"{{{CAMUNDA}}}candidateGroups")),
        candidate_users=_split(node.get(f"{{{CAMUNDA}}}candidateUsers")),
        assignee=(node.get(f"{{{CAMUNDA}}}assignee") or "").strip(),
        due=(node.get(f"{{{CAMUNDA}}}dueDate") or "").strip(),
        priority=(node.get(f"{{{CAMUNDA}}}priority") or "").strip(),
        decision_ref=(node.get(f"{{{CAMUNDA}}}decisionRef") or "").strip(),
        incoming=flows[0].get(node.get("id", ""), 0), outgoing=flows[1].get(node.get("id", ""), 0),
        form=form, documentation="".join(doc).strip(), targets=tuple(targets.get(node.get("id", ""), ())),
        scope=node.getparent().get("id", ""),
        trigger=definitions[0].removesuffix("EventDefinition") if definitions else "",
    )


@dataclass(frozen=True)
class Flow:
    """A sequence flow: its id and the elements it leads from and to."""

    id: str
    source: str
    target: str


def read_flows(root) -> list[Flow]:
    """Every sequence flow of a BPMN document (those inside subprocesses too)."""
    return [Flow(f.get("id", ""), f.get("sourceRef", ""), f.get("targetRef", ""))
            for f in root.iter(f"{{{BPMN}}}sequenceFlow") if f.get("id")]


@dataclass(frozen=True)
class Layout:
    """Where the diagram draws things (BPMN DI): shapes as (x, y, width, height), edges as waypoints."""

    shapes: dict[str, tuple[float, float, float, float]]
    edges: dict[str, list[tuple[float, float]]]
    kinds: dict[str, str]  # element id -> BPMN tag (userTask, lane, participant, ...)
    names: dict[str, str]


def layout(xml: bytes | str) -> Layout:
    """The diagram interchange of the first diagram in a BPMN document."""
    root = parse(xml.encode() if isinstance(xml, str) else xml)
    shapes, edges = {}, {}
    for shape in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape"):
        bounds = shape.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds")
        if bounds is not None:
            shapes[shape.get("bpmnElement", "")] = tuple(float(bounds.get(k, 0)) for k in ("x", "y", "width",
                                                                                            "height"))
    for edge in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNEdge"):
        edges[edge.get("bpmnElement", "")] = [(float(p.get("x", 0)), float(p.get("y", 0)))
                                              for p in edge.iter("{http://www.omg.org/spec/DD/20100524/DI}waypoint")]
    kinds, names = {}, {}
    for node in root.iter(etree.Element):
        if node.get("id") in shapes or node.get("id") in edges:
            kinds[node.get("id")] = etree.QName(node).localname
            names[node.get("id")] = (node.get("name") or "").strip()
    return Layout(shapes, edges, kinds, names)


def process_properties(root, process_id: str) -> dict[str, str]:
    """``camunda:properties`` of a process element (e.g. ``period`` of a periodic process)."""
    for process in root.iterfind(f"{{{BPMN}}}process"):
        if process.get("id") == process_id:
            return dict(_props(process))
    return {}


def read_elements(filename: str, root) -> tuple[dict[str, Element], list[str], list[Problem]]:
    """Elements of every process in a BPMN document, its executable process ids, and rule problems."""
    elements: dict[str, Element] = {}
    problems: list[Problem] = []
    executable = [p.get("id") for p in root.iterfind(f"{{{BPMN}}}process") if p.get("isExecutable") == "true"]
    id_count = Counter(node.get("id") for node in root.iter(etree.Element) if node.get("id"))
    for process in root.iterfind(f"{{{BPMN}}}process"):
        lanes = {
            ref.text.strip(): (lane.get("id", ""), lane.get("name") or lane.get("id", ""),
                               dict(_props(lane)).get("name_en", ""))
            for lane in process.iter(f"{{{BPMN}}}lane")
            for ref in lane.iterfind(f"{{{BPMN}}}flowNodeRef") if ref.text
        }
        sequence = list(process.iter(f"{{{BPMN}}}sequenceFlow"))
        flows = (Counter(f.get("targetRef") for f in sequence), Counter(f.get("sourceRef") for f in sequence))
        targets: dict[str, list[str]] = {}
        for flow in sequence:
            targets.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
        for node in process.iter(etree.Element):
            if etree.QName(node).namespace != BPMN:
                continue
            kind = etree.QName(node).localname
            if kind in _EXPRESSIONS:
                owner = node.getparent() if kind == "conditionExpression" else node.getparent().getparent()
                problems.extend(_check_expression(filename, owner.get("id", ""), node.text, kind))
            elif node.get("id") and (kind.endswith(("Task", "Event", "Gateway")) or kind in _ACTIVITIES):
                element = _element(node, _lane_of(node, lanes), flows, targets)
                elements[element.id] = element
                if id_count[element.id] > 1:
                    problems.append(Problem(filename, element.id, "the id is also used by another element "
                                            "(e.g. an enum value); the engine would confuse them"))
    return elements, executable, problems


def _lane_of(node, lanes: dict[str, tuple[str, str, str]]) -> tuple[str, str, str]:
    """A node's lane; a node inside a subprocess lies in the subprocess's lane (lanes list top-level nodes)."""
    while node is not None:
        if node.get("id") in lanes:
            return lanes[node.get("id")]
        node = node.getparent()
    return ("", "", "")


def _check_expression(filename: str, element_id: str, text: str | None, kind: str = "") -> list[Problem]:
    duration = fixes.unquoted_duration(text or "") if kind in _TIMER_KINDS else None
    if duration:
        return [Problem(filename, element_id, f"timer {kind} {(text or '').strip()!r} is read as a task-data name, "
                        f"not a duration (expressions are Python, not JUEL/FEEL): quote it: \"{duration}\"")]
    try:
        expressions.check(text or "")
    except InvalidExpression as exc:
        rewrite = fixes.fixed_expression(kind, text or "")
        hint = f"; write: {rewrite}" if rewrite else ""
        return [Problem(filename, element_id, f"expression {(text or '').strip()!r}: {exc.message}{hint}")]
    return []


def first_task(elements: dict[str, Element], process_id: str) -> Element | None:
    """The human task a process opens first, read from the diagram (never by running it).

    From the process's start event, the path may pass gateways that do not branch (a merge);
    None when it branches, waits or reaches anything other than one user task first.
    """
    starts = [e for e in elements.values() if e.kind == "startEvent" and e.scope == process_id]
    if len(starts) != 1:
        return None
    node, seen = starts[0], set()
    while len(node.targets) == 1 and node.id not in seen:
        seen.add(node.id)
        node = elements.get(node.targets[0])
        if node is None or node.kind in HUMAN:
            return node
        if node.kind not in _PASS_THROUGH:
            return None
    return None


def process_ids(contents: Iterable[bytes]) -> set[str]:
    """The ids of the processes the BPMN documents define (documents that do not parse are skipped)."""
    ids = set()
    for content in contents:
        try:
            root = parse(content)
        except etree.XMLSyntaxError:
            continue
        ids.update(p.get("id", "") for p in root.iterfind(f"{{{BPMN}}}process"))
    return ids


def decision_files(bpmn: bytes, tables: dict[str, bytes]) -> dict[str, bytes]:
    """The DMN files among ``tables`` that define a decision the BPMN refers to (camunda:decisionRef)."""
    try:
        refs = set(parse(bpmn).xpath("//@camunda:decisionRef", namespaces=NS))
    except etree.XMLSyntaxError:
        return {}
    used = {}
    for name, content in tables.items():
        try:
            ids = {d.get("id") for d in parse(content).iter("{*}decision")}
        except etree.XMLSyntaxError:
            continue
        if ids & refs:
            used[name] = content
    return used


_AT_LEAST = re.compile(r"^\s*>=\s*(-?\d+(?:\.\d+)?)\s*$")


def rating_bands(tables: dict[str, str | bytes], output: str = "rating") -> list[tuple[str, float]]:
    """From a DMN table with an output named ``output``: each rating and the lowest first-input value that gets it.

    Rules read top-down (FIRST): ``>= 90`` -> "优秀" gives ("优秀", 90); a rule whose first input is ``-`` is the
    floor (0). Lowest first.
    """
    for content in tables.values():
        try:
            root = parse(content.encode() if isinstance(content, str) else content)
        except etree.XMLSyntaxError:
            continue
        for table in root.iter("{*}decisionTable"):
            outputs = [o.get("name") for o in table.iterfind("{*}output")]
            if output not in outputs:
                continue
            where = outputs.index(output)
            bands = {}
            for rule in table.iterfind("{*}rule"):
                entries = [e.findtext("{*}text", "").strip() for e in rule.iterfind("{*}inputEntry")]
                results = [e.findtext("{*}text", "").strip().strip("\"'") for e in rule.iterfind("{*}outputEntry")]
                match = _AT_LEAST.match(entries[0]) if entries else None
                low = float(match.group(1)) if match else 0.0 if entries and entries[0] == "-" else None
                if low is not None and len(results) > where:
                    bands.setdefault(results[where], low)
            return sorted(bands.items(), key=lambda b: b[1])
    return []
