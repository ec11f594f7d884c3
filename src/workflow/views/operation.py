"""Pages of the operation years: filing measures, proposing experiences, the replication catalogue."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from workflow import inputs
from workflow.errors import Conflict, InvalidForm, Msg
from workflow.services import experiences, measures, startable
from workflow.views import form_values, login_required, refused
from workflow.web import current_user, db_session, lang, tr

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
    measure = request.values.get("measure", "")
    measure_id = inputs.id_param(request.values, "measure")
    proposal = experiences.form(db_session(), current_user(), zone_id, measure_id, request.args.get("kind", ""))
    values, errors = proposal.draft, {k: tr(v) for k, v in proposal.problems.items()}
    if request.method == "POST":
        values = form_values(proposal.element.form, request.form)
        try:
            experiences.propose(db_session(), current_user(), zone_id, values, measure_id)
            flash(tr("已提出复制推广建议"))
            return redirect(url_for("zones.show", zone_id=zone_id) + "#replication")
        except InvalidForm as exc:
            errors = refused(exc)
    return render_template("item_new.html", zone=proposal.zone, element=proposal.element, values=values,
                           errors=errors, measure=measure, proposed=proposal.measure,
                           title=tr("提出复制推广建议")), 400 if errors else 200


@bp.route("/zones/<int:zone_id>/processes/<process_id>/new", methods=["GET", "POST"])
@login_required
def start_process(zone_id: int, process_id: str):
    """Start a process marked ``startable`` for the zone by filling the form of its first task."""
    zone, chosen = startable.form(db_session(), current_user(), zone_id, process_id)
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = form_values(chosen.element.form, request.form)
        try:
            startable.start(db_session(), current_user(), zone_id, process_id, values)
            flash(tr(Msg("已启动：%(p)s", p=chosen.version.label(lang()))))
            return redirect(url_for("zones.show", zone_id=zone_id) + "#processes")
        except InvalidForm as exc:
            errors, status = refused(exc), 400
    return render_template("item_new.html", zone=zone, element=chosen.element, values=values, errors=errors,
                           title=chosen.version.label(lang())), status


@bp.get("/experiences")
@login_required
def catalogue():
    return render_template("catalogue.html", view=experiences.catalogue_for(db_session(), current_user()))


@bp.post("/experiences/<int:experience_id>/adopt")
@login_required
def adopt(experience_id: int):
    try:
        experiences.adopt(db_session(), current_user(), experience_id, inputs.id_param(request.form, "zone") or 0,
                          request.form.get("note", ""))
    except (InvalidForm, Conflict) as exc:
        problems = refused(exc)
        return render_template("catalogue.html", view=experiences.catalogue_for(db_session(), current_user()),
                               error=tr(exc.message), problems=list(problems.values())), exc.status
    flash(tr("已记录借鉴推广经验"))
    return redirect(url_for("operation.catalogue"))
