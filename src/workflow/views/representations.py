"""JSON shapes of the API; the OpenAPI document (workflow.openapi) describes exactly these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from workflow.models import (
    Attachment,
    Comment,
    Event,
    HumanTask,
    Notification,
    ProcessInstance,
    ProcessVersion,
    SavedFilter,
    Substitute,
    User,
    Zone,
)
from workflow.modelxml import Element
from workflow.services.migrations import Verdict
from workflow.services.records import RecordPage
from workflow.services.startable import Startable
from workflow.services.versions import Comparison
from workflow.services.zones import Trace


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def task(t: HumanTask, lang: str, me: User | None = None) -> dict[str, Any]:
    return {
        "id": t.id, "zone_id": t.zone_id, "zone_name": t.zone_name, "province": t.province, "stage": t.stage,
        "bpmn_id": t.bpmn_id, "name": t.label(lang), "status": t.status.value, "created_at": iso(t.created_at),
        "due_at": iso(t.due_at), "priority": -t.priority_rank, "period_year": t.period_year, "shared": t.shared,
        "claimed_by": t.claimed_by.username if t.claimed_by else None,
        "mine": me is not None and t.claimed_by_id == me.id,
        "delegated_by": t.delegated_by.username if t.delegated_by else None,
    }


def attachment(a: Attachment) -> dict[str, Any]:
    return {"id": a.id, "zone_id": a.zone_id, "filename": a.filename, "content_type": a.content_type,
            "size": a.size, "sha256": a.sha256, "task_id": a.task_id, "field": a.field,
            "uploaded_at": iso(a.uploaded_at), "uploaded_by": a.uploaded_by.username if a.uploaded_by else None}


def comment(c: Comment) -> dict[str, Any]:
    return {"id": c.id, "zone_id": c.zone_id, "body": c.body, "at": iso(c.at), "author": c.author.username,
            "task_id": c.task_id}


def substitute(s: Substitute) -> dict[str, Any]:
    return {"id": s.id, "absentee": s.absentee.username, "substitute": s.substitute.username,
            "starts_on": s.starts_on.isoformat(), "ends_on": s.ends_on.isoformat()}


def notification(n: Notification, lang: str) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "task_id": n.task_id, "task_name": n.task.label(lang) if n.task else None,
            "zone_id": n.zone_id, "zone_name": n.zone.name if n.zone else None, "note": n.note,
            "created_at": iso(n.created_at), "read_at": iso(n.read_at)}


def saved_filter(f: SavedFilter) -> dict[str, Any]:
    return {"id": f.id, "name": f.name, "query": f.query, "created_at": iso(f.created_at)}


def form(element: Element, lang: str) -> dict[str, Any]:
    return {"fields": [{
        "id": f.id, "label": f.label_en if lang == "en" else f.label, "type": f.type, "required": f.required,
        "multiple": f.multiple,
        "options": [{"id": o.id, "label": o.label_en if lang == "en" else o.label} for o in f.options],
    } for f in element.form]}


def zone(z: Zone, stage: str) -> dict[str, Any]:
    instance = z.lifecycle
    return {
        "id": z.id, "name": z.name, "province": z.province, "status": z.status.value, "stage": stage,
        "applicant": z.applicant.code,
        "process_version": f"{instance.process_version.process_id}:{instance.process_version.version}",
        "created_at": iso(z.created_at), "updated_at": iso(z.updated_at),
        "approved_at": iso(z.approved_at), "approval_number": z.approval_number,
    }


def history(e: Event, lang: str) -> dict[str, Any]:
    return {
        "at": iso(e.at), "actor": e.actor, "role": e.role, "organisation": e.organisation_label(lang),
        "bpmn_id": e.bpmn_id, "action": e.kind, "decision": e.decision, "comment": e.comment,
    }


def zone_detail(trace: Trace, lang: str) -> dict[str, Any]:
    return {
        **zone(trace.zone, ",".join(trace.current)),
        "current_process": f"{trace.version.process_id}:{trace.version.version}",
        "application": trace.zone.application,
        "open_tasks": [task(t, lang) for t in trace.open_tasks],
        "history": [history(e, lang) for e in trace.history],
        "records": [{"id": r.id, "kind": r.kind, "bpmn_id": r.bpmn_id, "name": r.label(lang), "period_no": r.period_no,
                     "at": iso(r.at), "actor": r.actor, "data": r.data} for r in trace.records],
        "measures": [{"id": m.id, "title": m.title, "kind": m.kind.value, "departs": m.departs,
                      "unit_concerned": m.unit_concerned, "status": m.status.value, "filed_at": iso(m.filed_at)}
                     for m in trace.measures],
    }


def record(page: RecordPage, lang: str) -> dict[str, Any]:
    """One record in full: each field the reader may read with its label from the model, who, when, the task."""
    r, section = page.record, page.section
    return {
        "id": r.id, "zone_id": r.zone_id, "kind": r.kind, "bpmn_id": r.bpmn_id, "name": r.label(lang),
        "period_no": r.period_no, "at": iso(r.at), "actor": r.actor,
        "task_id": page.task.id if page.task else None,
        "fields": [{"id": f.id, "label": f.label_en if lang == "en" else f.label, "value": section.data.get(f.id)}
                   for f in section.fields],
    }


def trace(t: Trace) -> dict[str, Any]:
    """The path of one process instance: the model version's XML and what the run completed, waits on, took."""
    return {
        "instance": t.instance.id, "process_version": f"{t.version.process_id}:{t.version.version}",
        "xml": t.version.source, "completed": list(t.done), "active": t.active, "overdue": list(t.overdue),
        "flows": list(t.flows),
    }


def version(v: ProcessVersion, lang: str, running: int = 0, current: bool = False) -> dict[str, Any]:
    return {"id": v.id, "process_id": v.process_id, "version": v.version, "name": v.label(lang),
            "filename": v.filename, "content_hash": v.content_hash, "deployed_at": iso(v.deployed_at),
            "deployed_by": v.deployed_by.username if v.deployed_by else None, "comment": v.comment,
            "running_instances": running, "current": current}


def diff(c: Comparison, lang: str) -> dict[str, Any]:
    return {"process_id": c.old.process_id, "old": version(c.old, lang), "new": version(c.new, lang),
            "changes": [{"id": x.id, "kind": x.kind, "name": x.label(lang), "status": x.status,
                         "aspects": list(x.aspects)} for x in c.diff.changes]}


def verdict(v: Verdict) -> dict[str, Any]:
    """One instance in a migration: where it was, whether it can move (or moved), and why not."""
    return {"instance": v.instance.id, "zone_id": v.instance.zone_id,
            "process_version": f"{v.instance.process_version.process_id}:{v.instance.process_version.version}",
            "can_move": v.ok, "moved": v.moved, "reasons": list(v.reasons)}


def startable(s: Startable, lang: str) -> dict[str, Any]:
    """A process one may start for a zone, with the form of its first task."""
    return {"process_id": s.version.process_id, "version": s.version.version, "name": s.version.label(lang),
            "task": s.element.label(lang), **form(s.element, lang)}


def instance(i: ProcessInstance) -> dict[str, Any]:
    return {"id": i.id, "zone_id": i.zone_id,
            "process_version": f"{i.process_version.process_id}:{i.process_version.version}",
            "active": [p for p in i.position.split(",") if p], "completed": i.completed, "end_event": i.end_event}
