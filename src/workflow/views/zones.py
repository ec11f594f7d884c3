"""The zone list, filing an application, and one zone's trace."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from workflow import diagrams
from workflow.errors import InvalidForm, Msg
from workflow.exports import to_csv
from workflow.services import documents, records, startable, timeline, zones
from workflow.services import dossier as dossiers
from workflow.services import eventlog as logs
from workflow.services import overview as overview_service
from workflow.views import form_values, login_required, query_id, refused
from workflow.web import (
    N_,
    attachment_limit,
    current_user,
    db_session,
    lang,
    local_time,
    model_xml,
    outcome_label,
    status_label,
    tr,
)

bp = Blueprint("zones", __name__)


@bp.get("/zones")
@login_required
def index():
    listing = zones.listing(db_session(), current_user(), request.args.get("province", ""),
                            request.args.get("status", ""))
    return render_template("zones.html", listing=listing)


@bp.get("/overview")
@login_required
def overview():
    return render_template("overview.html", view=overview_service.build(db_session(), current_user()),
                           province=zones.province_labels(db_session()), bands=zones.rating_bands(db_session()))


@bp.get("/zones.csv")
@login_required
def export():
    listing, language = zones.listing(db_session(), current_user()), lang()
    rows = [(z.id, z.name, listing.province_label(z.province, language),
             z.applicant.label(language),
             status_label(z.status), local_time(z.created_at), local_time(z.updated_at), z.approval_number or "")
            for z in listing.zones]
    header = [tr(h) for h in (N_("编号"), N_("名称"), N_("省份"), N_("申请单位"), N_("状态"), N_("提出申请"),
                              N_("更新时间"), N_("批准文号"))]
    return Response(to_csv(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=zones.csv"})


@bp.get("/zones/new")
@login_required
def new():
    element = zones.filing_form(db_session(), current_user())
    return render_template("zone_new.html", element=element, values={}, errors={})


@bp.post("/zones/new")
@login_required
def create():
    element = zones.filing_form(db_session(), current_user())
    values = form_values(element.form, request.form, request.files)
    try:
        zone = zones.file_application(db_session(), current_user(), values, limit=attachment_limit())
    except InvalidForm as exc:
        errors = refused(exc)
        return render_template("zone_new.html", element=element, values=values, errors=errors,
                               error=tr(exc.message)), 400
    flash(tr(Msg("申请已提交：%(name)s", name=zone.name)))
    return redirect(url_for("zones.show", zone_id=zone.id))


@bp.get("/zones/<int:zone_id>")
@login_required
def show(zone_id: int):
    trace = zones.trace(db_session(), current_user(), zone_id, query_id("instance"))
    filters = timeline.Filters(request.args.get("stage", ""), query_id("process"), request.args.get("actor", ""))
    return render_template("zone.html", trace=trace, chart=zones.rating_points(trace),
                           papers=documents.on_zone(db_session(), current_user(), zone_id),
                           bands=zones.rating_bands(db_session()),
                           startable=startable.available(db_session(), current_user(), zone_id),
                           timeline=timeline.timeline(db_session(), trace, filters))


@bp.get("/zones/<int:zone_id>/records/<int:record_id>")
@login_required
def record(zone_id: int, record_id: int):
    return render_template("record.html", page=records.detail(db_session(), current_user(), zone_id, record_id))


@bp.get("/zones/<int:zone_id>/records.csv")
@login_required
def records_csv(zone_id: int):
    body = to_csv(records.HEADER, records.table(db_session(), current_user(), zone_id, lang()))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=zone-{zone_id}-records.csv"})


@bp.get("/zones/<int:zone_id>/log.<any(csv, xes):fmt>")
@login_required
def event_log(zone_id: int, fmt: str):
    body, mimetype = logs.export(db_session(), current_user(), zone_id, fmt, lang())
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=zone-{zone_id}-log.{fmt}"})


@bp.get("/zones/<int:zone_id>/dossier.pdf")
@login_required
def dossier(zone_id: int):
    _, body = dossiers.pdf(db_session(), current_user(), zone_id, tr, outcome_label, status_label, lang())
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=zone-{zone_id}.pdf"})


@bp.get("/zones/<int:zone_id>/diagram.bpmn")
@login_required
def diagram(zone_id: int):
    trace = zones.trace(db_session(), current_user(), zone_id, query_id("instance"))
    return model_xml(diagrams.localized(trace.version.source, lang()),
                     f"{trace.version.process_id}-v{trace.version.version}")
