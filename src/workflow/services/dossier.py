"""A zone's printable dossier: what the PDF holds, gathered and put in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from workflow import diagrams, dossier
from workflow.errors import Msg
from workflow.models import User
from workflow.services import zones
from workflow.services.zones import SHANGHAI

Translate = Callable[[str | Msg], str]
Label = Callable[[str], str]


def _when(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


def _value(field, value, lang: str) -> str:
    if isinstance(value, list):
        return (", " if lang == "en" else "、").join(field.option_label(v, lang) if field else str(v) for v in value)
    if field is not None and field.type == "enum" and value:
        return field.option_label(value, lang)
    if isinstance(value, dict) and "attachment" in value:
        return f"{value.get('name', '')} ({value.get('sha256', '')[:12]})"  # a file field: its name and hash
    return "" if value is None else str(value)


def contents(session: Session, user: User, zone_id: int, tr: Translate, outcome: Label, status: Label,
             lang: str = "zh") -> dossier.Contents:
    trace = zones.trace(session, user, zone_id)
    zone = trace.zone
    fields = trace.application.form if trace.application else ()
    facts = [(tr("申请单位"), zone.applicant.name_en if lang == "en" else zone.applicant.name),
             (tr("状态"), status(zone.status.value)), (tr("提出申请"), _when(zone.created_at)),
             (tr("批准时间"), _when(zone.approved_at)), (tr("批准文号"), zone.approval_number or "—")]
    application = [(f.label_en if lang == "en" else f.label, _value(f, zone.application.get(f.id), lang))
                   for f in fields]
    decisions = [[_when(e.at), e.label(lang), (e.actor_user.display_name if e.actor_user else e.actor or "")
                  + (f" · {e.organisation_label(lang)}" if e.organisation else ""),
                  outcome(e.decision) if e.decision else "", e.comment]
                 for e in trace.history if e.kind in ("task_completed", "automatic")]
    records = [[str(r.period_no or ""), r.label(lang), _when(r.at),
                " ".join([outcome(str(r.data[k])) for k in ("rating", "risk_level", "decision") if r.data.get(k)]
                         + [str(r.data[k]) for k in ("commendation_number", "summary", "findings", "comment")
                            if r.data.get(k)])] for r in trace.records]
    lifecycle = next(c for c in trace.cases["lifecycle"])
    shown = zones.trace(session, user, zone_id, lifecycle.instance.id)
    bands = zones.rating_bands(session)
    return dossier.Contents(
        title=zone.name, facts=facts, application=application, decisions=decisions, records=records,
        ratings=zones.rating_points(trace), bands=[b.__class__(b.rating, outcome(b.label), b.low, b.high)
                                                   for b in bands],
        diagram_xml=diagrams.localized(shown.version.source, lang), done=shown.done, current=shown.current,
        flows=shown.flows,
        labels={"application": tr("建设申请"), "decisions": tr("办理经过"), "records": tr("运行与监督管理"),
                "ratings": tr("历年考核平均分与等级"), "diagram": tr("流程图：建设申请至批准"),
                "legend": tr("绿色：已办环节和已走过的连线；蓝色：当前环节。"),
                "decision_header": "|".join((tr("时间"), tr("环节"), tr("办理人"), tr("决定"), tr("意见"))),
                "record_header": "|".join((tr("年度"), tr("事项"), tr("时间"), tr("结果"))),
                "author": tr("国检试验区业务系统")})


def pdf(session: Session, user: User, zone_id: int, tr: Translate, outcome: Label, status: Label,
        lang: str = "zh") -> tuple[str, bytes]:
    """The zone's name and its dossier as PDF."""
    found = contents(session, user, zone_id, tr, outcome, status, lang)
    return found.title, dossier.render(found)
