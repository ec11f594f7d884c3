"""JSON shapes of the API; the OpenAPI document (workflow.openapi) describes exactly these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from workflow.models import Event, HumanTask, ProcessVersion, Substitute, User, Zone
from workflow.modelxml import Element
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


def substitute(s: Substitute) -> dict[str, Any]:
    return {"id": s.id, "absentee": s.absentee.username, "substitute": s.substitute.username,
            "starts_on": s.starts_on.isoformat(), "ends_on": s.ends_on.isoformat()}


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
        "records": [{"kind": r.kind, "bpmn_id": r.bpmn_id, "name": r.label(lang), "period_no": r.period_no,
                     "at": iso(r.at), "actor": r.actor, "data": r.data} for r in trace.records],
        "measures": [{"id": m.id, "title": m.title, "kind": m.kind.value, "departs": m.departs,
                      "unit_concerned": m.unit_concerned, "status": m.status.value, "filed_at": iso(m.filed_at)}
                     for m in trace.measures],
    }


def trace(t: Trace) -> dict[str, Any]:
    """The path of one process instance: the model version's XML and what the run completed, waits on, took."""
    return {
        "instance": t.instance.id, "process_version": f"{t.version.process_id}:{t.version.version}",
        "xml": t.version.source, "completed": list(t.done), "active": t.active, "overdue": list(t.overdue),
        "flows": list(t.flows),
    }


def version(v: ProcessVersion, lang: str) -> dict[str, Any]:
    return {"process_id": v.process_id, "version": v.version, "name": v.label(lang), "filename": v.filename,
            "content_hash": v.content_hash, "deployed_at": iso(v.deployed_at)}
