"""`workflow init|serve|user add|org add|deploy|migrate|lint|backup|restore`."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from workflow import config as configuration
from workflow.errors import InvalidForm, InvalidModel
from workflow.models import OrgKind, Role


def _database():
    from workflow.db import Database

    settings = configuration.load()
    return settings, Database(settings["DATABASE_URL"])


def _fail_form(exc: InvalidForm) -> None:
    for field, message in exc.fields.items():
        click.echo(f"{field}: {message}", err=True)
    sys.exit(1)


@click.group()
def main() -> None:
    """国检试验区业务系统 — the National Inspection Pilot Zone workflow."""


@main.command()
@click.option("--demo", is_flag=True,
              help="Also load the demo organisations and users (password WORKFLOW_DEMO_PASSWORD).")
def init(demo: bool) -> None:
    """Create or upgrade the database and deploy the models in bpmn/ (safe to run again)."""
    from workflow.services import setup

    settings, db = _database()
    db.upgrade()
    with db.session() as session:
        try:
            result = setup.init(session, Path(settings["BPMN_DIR"]), demo, settings["DEMO_PASSWORD"])
        except InvalidModel as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            sys.exit(1)
    db.dispose()
    click.echo(f"database ready; {result['versions_created']} model version(s) deployed, "
               f"{result['users_created']} demo user(s) created, {result['calendar_days_added']} calendar day(s) added")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int, help="Default: $PORT or 5000.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Threads per worker: requests served at once by each.")
@click.option("--read-timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="Seconds a client may stay silent while sending a request.")
@click.option("--request-timeout", default=30.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Seconds for a whole request, headers and body, to arrive (a late body is answered 408).")
def serve(host: str, port: int, workers: int, threads: int, read_timeout: float, request_timeout: float) -> None:
    """Serve the application with gunicorn: threaded workers, keep-alive, read deadlines."""
    from workflow.serving import Server

    Server(host, port, workers, threads, read_timeout, request_timeout).run()


@main.command()
@click.option("--once", is_flag=True, help="Run one pass and exit.")
@click.option("--now", "now_text", default=None,
              help="With --once: run the pass as of this ISO 8601 instant (no offset = Asia/Shanghai).")
@click.option("--interval", default=60, show_default=True, type=click.IntRange(1, 3600), help="Seconds between passes.")
def worker(once: bool, now_text: str | None, interval: int) -> None:
    """Fire due timers (deadlines, periodic supervision) and remind of overdue tasks.

    An instance whose timers fail is recorded (timer_failed) and retried later; a database outage is
    waited out. The worker itself only stops when it is told to.
    """
    import threading

    from workflow.errors import DatabaseUnavailable
    from workflow.models import utcnow
    from workflow.services import outbox, timers

    if now_text and not once:
        raise click.UsageError("--now is only for a single pass (--once)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings, db = _database()
    smtp = outbox.Smtp.from_settings(settings)
    if once:
        now = _parse_now(now_text) if now_text else utcnow()
        try:
            result = timers.run_pass(db, now, smtp)
        except DatabaseUnavailable as exc:
            click.echo(str(exc), err=True)
            sys.exit(2)
        _report(now, result)
        sys.exit(1 if result.failed else 0)
    timers.work(db, interval, threading.Event(), utcnow, _log_pass, smtp)


def _log_pass(now, result) -> None:
    """A pass of the running worker, logged at info level only when it did something (failures go to stderr)."""
    if result.fired or result.reminded or result.failed or result.mailed:
        logging.getLogger("workflow.worker").info("%s: fired %s, reminded %s, failed %s, mailed %s", now.isoformat(),
                                                  result.fired, result.reminded, len(result.failed), result.mailed)
    for instance_id, message in result.failed:
        click.echo(f"instance {instance_id}: {message}", err=True)


def _report(now, result) -> None:
    click.echo(f"{now.isoformat()}: fired {result.fired}, reminded {result.reminded}, failed {len(result.failed)}")
    for instance_id, message in result.failed:
        click.echo(f"instance {instance_id}: {message}", err=True)


def _parse_now(text: str):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 date-time: {text!r}", param_hint="--now") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    return moment.astimezone(UTC)


@main.group()
def user() -> None:
    """Manage user accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", "roles", required=True, multiple=True, type=click.Choice([r.value for r in Role]),
              help="Repeat for several roles.")
@click.option("--org", "organisation", required=True, help="Organisation code, e.g. henan-bureau.")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--email", default="", help="Address for notification e-mails (optional).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@click.option("--password", default=None, help="Discouraged: shell history and the process list keep it.")
def user_add(username: str, roles: tuple[str, ...], organisation: str, display_name: str, email: str,
             password_stdin: bool, password: str | None) -> None:
    """Create a user account; the password is prompted for (or read with --password-stdin).

    Passwords have at least 12 characters, are not common ones and are not the user name.
    """
    from workflow.services import accounts

    password = _new_password(password, password_stdin)
    _, db = _database()
    with db.session() as session:
        try:
            created = accounts.add_user(session, username, accounts.Account(
                roles=roles, organisation=organisation, display_name=display_name, password=password, email=email))
        except InvalidForm as exc:
            _fail_form(exc)
    click.echo(f"user {created.username} created")


def _new_password(given: str | None, from_stdin: bool) -> str:
    if given is not None and from_stdin:
        raise click.UsageError("give the password one way: --password-stdin or the prompt")
    if given is not None:
        click.echo("warning: a password on the command line stays in shell history and is visible to other "
                   "users in the process list; use the prompt or --password-stdin", err=True)
        return given
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@main.group()
def org() -> None:
    """Manage organisations."""


@org.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--name-en", default="")
@click.option("--kind", required=True, type=click.Choice([k.value for k in OrgKind]))
@click.option("--province", default=None, help="Province code (bureaus and local governments), e.g. henan.")
def org_add(code: str, name: str, name_en: str, kind: str, province: str | None) -> None:
    """Create an organisation."""
    from workflow.services import accounts

    _, db = _database()
    with db.session() as session:
        try:
            accounts.add_organisation(session, code, name, kind, province, name_en)
        except InvalidForm as exc:
            _fail_form(exc)
    click.echo(f"organisation {code} created")


@main.command()
@click.option("--as", "username", required=True, help="List what this user may see (same rule as pages and API).")
def zones(username: str) -> None:
    """List the zones a user may see, with status and where each one is."""
    from workflow import store
    from workflow.services import zones as zone_service

    _, db = _database()
    with db.session() as session:
        user = store.user_by_name(session, username)
        if user is None:
            click.echo(f"no user {username}", err=True)
            sys.exit(1)
        rows, total = zone_service.page_of(session, user, 10**6, 0)
    for zone, stage in rows:
        click.echo(f"{zone.id}\t{zone.name}\t{zone.province}\t{zone.status.value}\t{stage}")
    click.echo(f"{total} zone(s) visible to {username}")


@main.command()
@click.option("--to", "target", required=True, help="The version to move to: PROCESS:VERSION (or its id).")
@click.option("--instance", "instance_ids", multiple=True, type=click.IntRange(1), help="An instance id (repeatable).")
@click.option("--from", "source", default=None, help="Every running instance on this version (PROCESS:VERSION).")
@click.option("--dry-run", is_flag=True, help="Only report which instances can move, and why not.")
@click.option("--as", "username", required=True, help="A process owner.")
def migrate(target: str, instance_ids: tuple[int, ...], source: str | None, dry_run: bool, username: str) -> None:
    """Move running instances to another version of their process; exit 1 if any cannot move."""
    from workflow import store
    from workflow.errors import WorkflowError
    from workflow.services import migrations, versions

    _, db = _database()
    with db.session() as session:
        try:
            user = store.user_by_name(session, username)
            if user is None:
                raise click.ClickException(f"no user {username}")
            to = versions.by_reference(session, target).id
            start = versions.by_reference(session, source).id if source else None
            run = migrations.plan if dry_run else migrations.migrate
            found, verdicts = run(session, user, to, list(instance_ids), start)
        except WorkflowError as exc:
            raise click.ClickException(str(exc.message)) from None
        for v in verdicts:
            state = ("can move" if v.ok else "cannot move") if dry_run else ("moved" if v.moved else "not moved")
            click.echo(f"{v.instance.id}\tzone {v.instance.zone_id}\t{state}\t{', '.join(v.reasons)}")
        click.echo(f"{sum(v.ok for v in verdicts)} of {len(verdicts)} instance(s) "
                   f"{'can move' if dry_run else 'moved'} to {found.process_id} v{found.version}")
    sys.exit(0 if all(v.ok for v in verdicts) else 1)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def deploy(files: tuple[Path, ...]) -> None:
    """Deploy BPMN files as new process versions, with the DMN files given or lying beside them."""
    from workflow import modelxml
    from workflow.services import deploy as deploying

    _, db = _database()
    tables = {p.name: p.read_bytes() for f in files for p in sorted(f.parent.glob("*.dmn"))}
    tables.update({f.name: f.read_bytes() for f in files if f.suffix == ".dmn"})
    models = [f for f in files if f.suffix != ".dmn"]
    alongside = modelxml.process_ids(p.read_bytes() for p in models)
    with db.session() as session:
        for path in models:
            try:
                version, created = deploying.deploy(session, path.name, path.read_bytes(), tables, alongside=alongside)
            except InvalidModel as exc:
                for problem in exc.problems:
                    click.echo(str(problem), err=True)
                sys.exit(1)
            state = "deployed" if created else "unchanged"
            click.echo(f"{path}: {version.process_id} v{version.version} {state}")
            for warning in deploying.warnings(version):
                click.echo(str(warning), err=True)


@main.command("export-log")
@click.option("--format", "fmt", type=click.Choice(["csv", "xes"]), required=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@click.option("--zone", "zone_id", type=click.IntRange(1), default=None, help="Only this zone (default: every zone).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of activity and organisation names.")
def export_log(fmt: str, output: Path, zone_id: int | None, lang: str) -> None:
    """Write the event log: one case per process instance (CSV, or XES for process-mining tools)."""
    from workflow import exports, xes
    from workflow.errors import NotFound
    from workflow.services import eventlog

    _, db = _database()
    with db.session() as session:
        try:
            cases = eventlog.cases(session, None, zone_id)
        except NotFound:
            click.echo(f"no zone {zone_id}", err=True)
            sys.exit(1)
        if fmt == "xes":
            output.write_bytes(xes.document(cases, lang=lang))
        else:
            output.write_text(exports.to_csv(eventlog.HEADER, eventlog.rows(cases, lang)), encoding="utf-8")
    click.echo(f"{output}: {sum(len(c.events) for c in cases)} event(s) in {len(cases)} case(s)")


@main.group()
def audit() -> None:
    """The tamper-evident event log: check the chain, print its head for the record."""


def _anchor(_ctx, _param, value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        raise click.BadParameter("expected SEQ:HASH as `workflow audit head` prints it")
    return int(seq), digest


@audit.command("verify")
@click.option("--anchor", callback=_anchor, default=None,
              help="SEQ:HASH of a head recorded earlier (e.g. printed daily); the chain must still contain it.")
def audit_verify(anchor: tuple[int, str] | None) -> None:
    """Check every event against its hash and its predecessor; exit 1 naming the first broken event."""
    from workflow import chain

    _, db = _database()
    with db.engine.connect() as connection:
        verdict = chain.verify(connection, anchor)
    if verdict.holds:
        click.echo(f"chain holds: {verdict.count} event(s), head {verdict.head_seq}:{verdict.head_hash}")
        return
    for problem in verdict.breaks:
        click.echo(f"broken: {problem}", err=True)
    if verdict.anchor_ok is False:
        click.echo(f"broken: the chain no longer holds the anchored head {anchor[0]}:{anchor[1]}", err=True)
    first = verdict.first
    click.echo(f"chain broken at event {first.event_id}" if first else "chain broken: anchor not found", err=True)
    sys.exit(1)


@audit.command("head")
def audit_head() -> None:
    """Print the chain's head as SEQ:HASH and the time; keep it outside the database (e.g. daily, on paper)."""
    from workflow import chain

    _, db = _database()
    with db.engine.connect() as connection:
        head = chain.head(connection)
    click.echo(f"{head.seq}:{head.hash} {head.updated_at.isoformat() if head.updated_at else ''}".rstrip())


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Back up the database into the new FILE while it runs (SQLite: online backup API; PostgreSQL: pg_dump -Fc)."""
    from workflow import backup
    from workflow.errors import BackupFailed

    settings = configuration.load()
    try:
        done = backup.backup(settings["DATABASE_URL"], file)
    except BackupFailed as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"{done.path}: {done.kind} backup, {done.size} bytes")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace what the database holds (default: it must be empty).")
def restore_command(file: Path, replace: bool) -> None:
    """Restore a backup made by `workflow backup` into the database; stop servers and workers first.

    Then run `workflow init`, which brings a backup of an older release to the current schema.
    """
    from workflow import backup
    from workflow.errors import BackupFailed

    settings = configuration.load()
    try:
        done = backup.restore(settings["DATABASE_URL"], file, replace)
    except BackupFailed as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"{done.path}: restored ({done.kind}); now run `workflow init`")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--fix", is_flag=True, help="Rewrite the simple, safe cases in the files and show the diff.")
@click.option("--diff", "show_diff", is_flag=True, help="Show the diff --fix would make, without writing.")
def lint(files: tuple[Path, ...], output: str, fix: bool, show_diff: bool) -> None:
    """Check BPMN and DMN files; print file:element: message per problem; exit 1 on any error."""
    from workflow import fixes, linting

    for path in files if fix or show_diff else ():
        before = path.read_text(encoding="utf-8")
        after, count = fixes.fix_text(before)
        if count:
            click.echo(fixes.diff(str(path), before, after), err=output == "json", nl=False)
            if fix:
                path.write_text(after, encoding="utf-8")
    reports = linting.lint_paths(files)
    if output == "json":
        click.echo(linting.as_json(reports))
    else:
        for report in reports:
            for line in report.lines():
                click.echo(line)
    sys.exit(0 if all(r.ok for r in reports) else 1)
