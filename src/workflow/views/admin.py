"""Administration pages: organisations, users and their roles, the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from workflow.errors import InvalidForm, Msg
from workflow.roles import OrgKind, Role
from workflow.services import accounts
from workflow.services.audit import IN_FULL_PER_MINUTE
from workflow.views import login_required, refused
from workflow.web import current_user, db_session, tr

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_KINDS = ["login", "login_failed", "login_locked", "access_denied", "user_created", "user_changed",
               "deployed"]


def _account() -> accounts.Account:
    form = request.form
    return accounts.Account(roles=form.getlist("roles"), organisation=form.get("organisation", ""),
                            display_name=form.get("display_name", "").strip(), active=form.get("active") == "on",
                            password=form.get("password") or None)


def _user_form(account=None, errors=None, status=200):
    session, admin = db_session(), current_user()
    return render_template("admin_user.html", account=account, roles=list(Role), errors=errors or {},
                           organisations=accounts.organisations(session, admin), form=request.form), status


@bp.get("/users")
@login_required
def users():
    return render_template("admin_users.html", users=accounts.users(db_session(), current_user()))


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def new_user():
    if request.method == "GET":
        return _user_form()
    try:
        created = accounts.add_user(db_session(), request.form.get("username", ""), _account(), current_user())
    except InvalidForm as exc:
        return _user_form(errors=refused(exc), status=400)
    flash(tr(Msg("已创建用户 %(name)s", name=created.username)))
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int):
    user = accounts.get_user(db_session(), current_user(), user_id)
    if request.method == "GET":
        return _user_form(user)
    try:
        accounts.update_user(db_session(), current_user(), user_id, _account())
    except InvalidForm as exc:
        return _user_form(user, refused(exc), 400)
    flash(tr(Msg("已保存用户 %(name)s", name=user.username)))
    return redirect(url_for("admin.users"))


@bp.route("/organisations", methods=["GET", "POST"])
@login_required
def organisations():
    errors, status = {}, 200
    if request.method == "POST":
        form = request.form
        try:
            accounts.add_organisation(db_session(), form.get("code", ""), form.get("name", ""), form.get("kind", ""),
                                      form.get("province") or None, form.get("name_en", ""), current_user())
            return redirect(url_for("admin.organisations"))
        except InvalidForm as exc:
            errors, status = refused(exc), 400
    return render_template("admin_organisations.html", kinds=list(OrgKind), errors=errors, form=request.form,
                           organisations=accounts.organisations(db_session(), current_user())), status


@bp.get("/audit")
@login_required
def audit():
    kind = request.args.get("kind")
    kinds = [kind] if kind in AUDIT_KINDS else AUDIT_KINDS
    return render_template("admin_audit.html", kinds=AUDIT_KINDS, chosen=kind, in_full=IN_FULL_PER_MINUTE,
                           events=accounts.audit_log(db_session(), current_user(), kinds),
                           tallies=accounts.refusal_tallies(db_session(), current_user()))
