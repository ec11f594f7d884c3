"""The `workflow` command: init (idempotent), user and organisation management, deploy."""

from click.testing import CliRunner
from sqlalchemy import func, select

from tests.conftest import LIFECYCLE, START
from workflow.models import Organisation, ProcessVersion, User
from workflow.roles import Role
from workflow.services import logins


def run(*args, input=None):
    from workflow.cli import main

    return CliRunner().invoke(main, list(args), input=input)


def count(db, model):
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_init_demo_twice_creates_everything_once(cli_db):
    first = run("init", "--demo")
    assert first.exit_code == 0, first.output
    assert "4 model version(s) deployed, 16 demo user(s) created" in first.output
    second = run("init", "--demo")
    assert second.exit_code == 0, second.output
    assert "0 model version(s) deployed, 0 demo user(s) created" in second.output
    assert count(cli_db, User) == 16 and count(cli_db, ProcessVersion) == 4 and count(cli_db, Organisation) == 12
    with cli_db.session() as session:
        assert logins.login(session, "henan.gov", "demo-cli-1").organisation.code == "henan-gov"


def test_init_without_demo_creates_no_account(cli_db):
    assert run("init").exit_code == 0
    assert count(cli_db, User) == 0
    assert count(cli_db, Organisation) == 7, "the HQ units of the notice"


def test_user_add_creates_a_real_account_and_refuses_bad_input(cli_db):
    run("init")
    added = run("org", "add", "henan-bureau", "--name", "河南局", "--kind", "bureau", "--province", "henan")
    assert added.exit_code == 0, added.output
    ok = run("user", "add", "zhang.san", "--role", "bureau", "--org", "henan-bureau", "--password-stdin",
             input="Luoyang-peony-garden-7\n")
    assert ok.exit_code == 0, ok.output
    assert "warning" not in ok.output
    with cli_db.session() as session:
        user = logins.login(session, "zhang.san", "Luoyang-peony-garden-7")
        assert user.roles == {Role.BUREAU} and not user.password_hash.startswith("Luoyang")
    dup = run("user", "add", "zhang.san", "--role", "bureau", "--org", "nowhere", "--password-stdin", input="short\n")
    assert dup.exit_code == 1
    assert "username: 已存在" in dup.output and "password: 密码至少 12 位" in dup.output
    assert "organisation: 没有这个单位" in dup.output
    assert count(cli_db, User) == 1


def test_user_add_prompts_for_the_password_and_warns_when_it_is_on_the_command_line(cli_db):
    run("init")
    run("org", "add", "henan-bureau", "--name", "河南局", "--kind", "bureau", "--province", "henan")
    prompted = run("user", "add", "li.si", "--role", "bureau", "--org", "henan-bureau",
                   input="Kaifeng-iron-pagoda-9\nKaifeng-iron-pagoda-9\n")
    assert prompted.exit_code == 0, prompted.output
    assert "Kaifeng" not in prompted.output, "the prompt does not echo"
    given = run("user", "add", "wang.wu", "--role", "bureau", "--org", "henan-bureau",
                "--password", "Anyang-oracle-bones-3")
    assert given.exit_code == 0 and "warning: a password on the command line" in given.output
    common = run("user", "add", "zhao.liu", "--role", "bureau", "--org", "henan-bureau", "--password-stdin",
                 input="Password2024!\n")
    assert common.exit_code == 1 and "password: 这个密码太常见" in common.output
    with cli_db.session() as session:
        assert logins.login(session, "li.si", "Kaifeng-iron-pagoda-9").username == "li.si"


def test_org_add_needs_a_province_for_bureaus(cli_db):
    run("init")
    result = run("org", "add", "hubei-bureau", "--name", "湖北局", "--kind", "bureau")
    assert result.exit_code == 1 and "province" in result.output


def test_deploy_adds_a_version_only_when_the_file_changed(cli_db, tmp_path):
    run("init")
    same = run("deploy", str(LIFECYCLE))
    assert same.exit_code == 0 and "zone_lifecycle v1 unchanged" in same.output
    edited = tmp_path / "zone_lifecycle.bpmn"
    edited.write_bytes(LIFECYCLE.read_bytes().replace(b'camunda:dueDate="P30D"', b'camunda:dueDate="P20D"', 1))
    result = run("deploy", str(edited))
    assert result.exit_code == 0 and "zone_lifecycle v2 deployed" in result.output
    broken = tmp_path / "broken.bpmn"
    broken.write_bytes(LIFECYCLE.read_bytes().replace(b'camunda:candidateGroups="bureau"',
                                                      b'camunda:candidateGroups="bureaux"'))
    refused = run("deploy", str(broken))
    assert refused.exit_code == 1 and "bureau_recommendation" in refused.output
    assert count(cli_db, ProcessVersion) == 5, "four models in bpmn/, one new version of the lifecycle"


def test_the_running_worker_logs_a_pass_only_when_it_did_something(capsys, caplog):
    import logging

    from workflow.cli import _log_pass
    from workflow.services.timers import PassResult

    caplog.set_level(logging.INFO, logger="workflow.worker")
    _log_pass(START, PassResult())
    assert caplog.records == [] and capsys.readouterr() == ("", ""), "an idle minute prints nothing"
    _log_pass(START, PassResult(fired=2, reminded=1))
    [record] = caplog.records
    assert record.levelno == logging.INFO and "fired 2, reminded 1, failed 0" in record.getMessage()
    _log_pass(START, PassResult(failed=[(7, "boom")]))
    assert "instance 7: boom" in capsys.readouterr().err


def test_init_loads_the_working_day_calendar_and_user_add_takes_an_email(cli_db):
    from workflow.models import CalendarDay

    assert "calendar day(s) added" in run("init").output
    assert count(cli_db, CalendarDay) == 39  # 2026: 33 holiday days and 6 weekend days worked
    assert "0 calendar day(s) added" in run("init").output
    run("org", "add", "henan-bureau", "--name", "河南局", "--kind", "bureau", "--province", "henan")
    ok = run("user", "add", "wang.wu", "--role", "bureau", "--org", "henan-bureau", "--email", "wang.wu@example.org",
             "--password-stdin", input="Luoyang-peony-garden-7\n")
    assert ok.exit_code == 0, ok.output
    bad = run("user", "add", "zhao.liu", "--role", "bureau", "--org", "henan-bureau", "--email", "zhao.liu",
              "--password-stdin", input="Luoyang-peony-garden-7\n")
    assert bad.exit_code == 1 and "email" in bad.output
    with cli_db.session() as session:
        assert logins.login(session, "wang.wu", "Luoyang-peony-garden-7").email == "wang.wu@example.org"
