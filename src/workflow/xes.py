"""The event log as XES (IEEE 1849-2016): one trace per process instance, with the standard concept, time,
organizational and lifecycle extensions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from lxml import etree

from workflow.services.eventlog import Case, transition

NS = "http://www.xes-standard.org/"
EXTENSIONS = (("Concept", "concept"), ("Time", "time"), ("Organizational", "org"), ("Lifecycle", "lifecycle"))


def _attr(parent, kind: str, key: str, value: object) -> None:
    etree.SubElement(parent, f"{{{NS}}}{kind}", key=key, value=str(value))


def _strings(parent, **values: object) -> None:
    for key, value in values.items():
        if value not in (None, ""):
            _attr(parent, "string", key.replace("__", ":"), value)


def _event(trace, case: Case, event, lang: str) -> None:
    node = etree.SubElement(trace, f"{{{NS}}}event")
    _strings(node, concept__name=event.label(lang) or event.kind)
    _attr(node, "date", "time:timestamp", event.at.astimezone(UTC).isoformat(timespec="milliseconds"))
    _strings(node, lifecycle__transition=transition(event.kind), org__resource=event.actor or "system",
             org__role=event.role, org__group=event.organisation_label(lang), kind=event.kind, bpmn_id=event.bpmn_id,
             decision=event.decision, comment=event.comment,
             person=event.actor_user.display_name if event.actor_user else None)
    _attr(node, "int", "event_id", event.id)


def document(cases: Sequence[Case], name: str = "", lang: str = "zh") -> bytes:
    """The XES document of these cases (UTF-8)."""
    log = etree.Element(f"{{{NS}}}log", {"xes.version": "1849-2016", "xes.features": ""}, nsmap={None: NS})
    for title, prefix in EXTENSIONS:
        etree.SubElement(log, f"{{{NS}}}extension", name=title, prefix=prefix, uri=f"{NS}{prefix}.xesext")
    for scope, keys in (("trace", (("string", "concept:name", "?"),)),
                        ("event", (("string", "concept:name", "?"), ("date", "time:timestamp", "1970-01-01T00:00:00Z"),
                                   ("string", "lifecycle:transition", "complete")))):
        node = etree.SubElement(log, f"{{{NS}}}global", scope=scope)
        for kind, key, default in keys:
            _attr(node, kind, key, default)
    etree.SubElement(log, f"{{{NS}}}classifier", name="Activity", keys="concept:name")
    etree.SubElement(log, f"{{{NS}}}classifier", name="ActivityTransition",
                     keys="concept:name lifecycle:transition")
    _strings(log, concept__name=name or ("Event log of pilot zones" if lang == "en" else "国检试验区事件日志"))
    for case in cases:
        trace = etree.SubElement(log, f"{{{NS}}}trace")
        version = case.instance.process_version
        _strings(trace, concept__name=case.name, zone=case.zone.name, process=version.process_id)
        _attr(trace, "int", "zone_id", case.zone.id)
        _attr(trace, "int", "version", version.version)
        if case.instance.period_no is not None:
            _attr(trace, "int", "period", case.instance.period_no)
        for event in case.events:
            _event(trace, case, event, lang)
    return etree.tostring(log, xml_declaration=True, encoding="UTF-8", pretty_print=True)
