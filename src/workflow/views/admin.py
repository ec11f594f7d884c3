"""Administration pages: organisations, users and their roles, the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from workflow.errors import InvalidForm, Msg
from workflow.roles import OrgKind, Role
from workflow.services import accounts
from workflow.services import audit as audit_service
from workflow.services.audit import IN_FULL_PER_MINUTE
from workflow.views import login_required, query_id, refused
from workflow.web import EVENT_CATEGORIES, current_user, db_session, tr

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _account() -> accounts.Account:
    form = request.form
    return accounts.Account(roles=form.getlist("roles"), organisation=form.get("organisation", ""),
                            display_name=form.get("display_name", "").strip(), active=form.get("active") == "on",
                            password=form.get("password") or None, email=form.get("email", ""))


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


def _kinds(category: str, kind: str) -> list[str] | None:
    """The event kinds asked for: one category (or one kind); None for every kind."""
    if category and category not in EVENT_CATEGORIES:
        raise InvalidForm(Msg("查询参数有误"), {"category": Msg("不是可选的值")})
    if kind:
        return [kind]
    return list(EVENT_CATEGORIES[category][1]) if category else None


@bp.get("/audit")
@login_required
def audit():
    category, kind = request.args.get("category", ""), request.args.get("kind", "")
    log = audit_service.page(db_session(), current_user(), _kinds(category, kind), query_id("before"),
                             request.args.get("verify") == "1")
    return render_template("admin_audit.html", categories=EVENT_CATEGORIES, category=category, kind=kind, log=log,
                           in_full=IN_FULL_PER_MINUTE, tallies=accounts.refusal_tallies(db_session(), current_user()))
