"""Pages of the operation years: filing measures, proposing experiences, the replication catalogue."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from workflow import inputs
from workflow.errors import InvalidForm, Msg
from workflow.services import experiences, measures
from workflow.views import form_values, login_required, refused
from workflow.web import current_user, db_session, tr

bp = Blueprint("operation", __name__)


@bp.route("/zones/<int:zone_id>/measures/new", methods=["GET", "POST"])
@login_required
def new_measure(zone_id: int):
    zone, element = measures.form(db_session(), current_user(), zone_id)
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = form_values(element.form, request.form)
        try:
            measure = measures.file(db_session(), current_user(), zone_id, values)
            flash(tr(Msg("已填报创新措施：%(t)s", t=measure.title)))
            return redirect(url_for("zones.show", zone_id=zone_id) + "#measures")
        except InvalidForm as exc:
            errors, status = refused(exc), 400
    return render_template("item_new.html", zone=zone, element=element, values=values, errors=errors,
                           title=tr("填报创新措施")), status


@bp.route("/zones/<int:zone_id>/experiences/new", methods=["GET", "POST"])
@login_required
def new_experience(zone_id: int):
    zone, element = experiences.form(db_session(), current_user(), zone_id)
    measure = request.values.get("measure", "")
    measure_id = inputs.id_param(request.values, "measure")
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = form_values(element.form, request.form)
        try:
            experiences.propose(db_session(), current_user(), zone_id, values, measure_id)
            flash(tr("已提出复制推广建议"))
            return redirect(url_for("zones.show", zone_id=zone_id) + "#replication")
        except InvalidForm as exc:
            errors, status = refused(exc), 400
    return render_template("item_new.html", zone=zone, element=element, values=values, errors=errors,
                           measure=measure, title=tr("提出复制推广建议")), status


@bp.get("/experiences")
@login_required
def catalogue():
    return render_template("catalogue.html", items=experiences.catalogue(db_session()),
                           zones=experiences.adoptable_zones(db_session(), current_user()))


@bp.post("/experiences/<int:experience_id>/adopt")
@login_required
def adopt(experience_id: int):
    try:
        experiences.adopt(db_session(), current_user(), experience_id, inputs.id_param(request.form, "zone") or 0,
                          request.form.get("note", ""))
    except InvalidForm as exc:
        flash(tr(exc.message) + "：" + "；".join(refused(exc).values()))
        return redirect(url_for("operation.catalogue")), 303
    flash(tr("已记录借鉴推广经验"))
    return redirect(url_for("operation.catalogue"))
