"""Deadlines in working days, counted against mainland China's calendar with its 调休 weekends."""

from datetime import UTC, date, datetime

import pytest

from tests.conftest import BPMN_DIR, application, user
from workflow import workdays
from workflow.errors import InvalidForm, PermissionDenied
from workflow.models import CalendarDay, Event, HumanTask
from workflow.services import deploy, holidays, zones

LIFECYCLE = BPMN_DIR / "zone_lifecycle.bpmn"


def beijing(y, m, d, h=10):
    return datetime(y, m, d, h - 8, 0, tzinfo=UTC)


def end_of(y, m, d):
    """23:59:59 Beijing time on that day, in UTC."""
    return datetime(y, m, d, 15, 59, 59, tzinfo=UTC)


@pytest.fixture
def official():
    return workdays.Calendar.of(day for _, _, day in workdays.shipped())


def test_the_shipped_2026_calendar_has_its_holidays_and_adjusted_working_days(official):
    assert not official.is_working(date(2026, 10, 1))  # National Day, a Thursday
    assert not official.is_working(date(2026, 10, 7))  # the last day of the week off, a Wednesday
    assert official.is_working(date(2026, 9, 20))  # a Sunday made a working day (调休)
    assert official.is_working(date(2026, 10, 10))  # a Saturday made a working day
    assert official.is_working(date(2026, 1, 4))  # Sunday after New Year's Day
    assert not official.is_working(date(2026, 2, 23))  # Monday, last day of the Spring Festival
    assert official.is_working(date(2026, 2, 14)) and official.is_working(date(2026, 2, 28))
    assert official.is_working(date(2026, 5, 9)) and not official.is_working(date(2026, 5, 5))
    assert not official.is_working(date(2026, 9, 19))  # an ordinary Saturday
    assert official.is_working(date(2026, 9, 24)) and not official.is_working(date(2026, 9, 25))  # Mid-Autumn
    # 261 weekdays, 2 + 6 + 1 + 3 + 1 + 1 + 5 of them off, 6 weekend days worked
    assert official.between(date(2025, 12, 31), date(2026, 12, 31)) == 248


def test_a_sunday_that_is_a_working_day_counts(official):
    # Friday 18 September 2026, 10:00: Saturday 19 is off, Sunday 20 is a working day (调休)
    assert official.add(beijing(2026, 9, 18), 1) == end_of(2026, 9, 20)
    assert official.add(beijing(2026, 9, 18), 2) == end_of(2026, 9, 21)


def test_a_deadline_crosses_the_national_day_week(official):
    # Wednesday 30 September: the next working day is Thursday 8 October, then Friday 9 and Saturday 10 (调休)
    assert official.add(beijing(2026, 9, 30), 1) == end_of(2026, 10, 8)
    assert official.add(beijing(2026, 9, 30), 3) == end_of(2026, 10, 10)
    assert official.add(beijing(2026, 9, 30), 4) == end_of(2026, 10, 12)


def test_a_deadline_crosses_the_spring_festival_and_the_start_day_is_not_counted(official):
    # Friday 13 February 2026: Saturday 14 is worked, then nine days off until Monday 23
    assert official.add(beijing(2026, 2, 13), 1) == end_of(2026, 2, 14)
    assert official.add(beijing(2026, 2, 13), 2) == end_of(2026, 2, 24)
    # 23:30 Beijing time on 13 February is still the 13th in Beijing (15:30 UTC)
    assert official.add(datetime(2026, 2, 13, 15, 30, tzinfo=UTC), 1) == end_of(2026, 2, 14)


def test_twenty_working_days_over_may_day(official):
    # from Monday 27 April 2026: 28-30 April (3), 6-8 May (3), 9 May worked (1), 11-15 (5), 18-22 (5), 25-27 (3)
    assert official.add(beijing(2026, 4, 27), 20) == end_of(2026, 5, 27)


def test_a_year_without_an_official_calendar_counts_monday_to_friday(official):
    assert official.add(beijing(2027, 1, 8), 1) == end_of(2027, 1, 11)


def test_working_days_out_of_range_are_refused(official):
    with pytest.raises(ValueError):
        official.add(beijing(2026, 1, 5), 0)
    assert workdays.working_days_problem("20") is None
    for bad in ("0", "-1", "2.5", "二十", "１", "1001", ""):
        assert workdays.working_days_problem(bad)


def _lifecycle_in_working_days(days: str) -> bytes:
    xml = LIFECYCLE.read_text(encoding="utf-8")
    xml = xml.replace('camunda:candidateGroups="bureau" camunda:dueDate="P30D">\n        <bpmn:extensionElements>\n'
                      '          <camunda:properties>\n',
                      'camunda:candidateGroups="bureau">\n        <bpmn:extensionElements>\n'
                      '          <camunda:properties>\n'
                      f'            <camunda:property name="due_working_days" value="{days}" />\n', 1)
    assert f'value="{days}"' in xml
    return xml.encode()


def _deploy_in_working_days(session, days: str):
    deploy.deploy(session, "zone_lifecycle.bpmn", _lifecycle_in_working_days(days),
                  {"zone_rating.dmn": (BPMN_DIR / "zone_rating.dmn").read_bytes()})


def test_a_task_due_in_working_days_gets_its_due_date_from_the_calendar_in_the_database(session):
    assert session.get(CalendarDay, date(2026, 10, 1)) is not None  # loaded by workflow init
    _deploy_in_working_days(session, "3")
    zones.file_application(session, user(session, "henan.gov"), application(), now=beijing(2026, 9, 30))
    task = session.query(HumanTask).filter_by(bpmn_id="bureau_recommendation").one()
    assert task.due_at == end_of(2026, 10, 10)


def test_an_administrators_edit_of_the_calendar_moves_the_next_due_dates(session):
    admin = user(session, "admin")
    holidays.set_day(session, admin, "2026-10-08", "holiday", "国庆节（调整）", "National Day (adjusted)")
    _deploy_in_working_days(session, "1")
    zones.file_application(session, user(session, "henan.gov"), application(), now=beijing(2026, 9, 30))
    task = session.query(HumanTask).filter_by(bpmn_id="bureau_recommendation").one()
    assert task.due_at == end_of(2026, 10, 9)
    event = session.query(Event).filter_by(kind="calendar_changed").one()
    assert event.actor == "admin" and event.data["before"] is None and event.data["after"]["working"] is False


def test_a_model_with_a_bad_working_day_count_or_two_deadlines_is_not_deployed(session):
    from workflow.errors import InvalidModel

    both = _lifecycle_in_working_days("20").replace(b'camunda:candidateGroups="bureau">',
                                                    b'camunda:candidateGroups="bureau" camunda:dueDate="P30D">')
    for content in (_lifecycle_in_working_days("20天"), both):
        with pytest.raises(InvalidModel) as refused:
            _deploy_bytes(session, content)
        assert any("due_working_days" in str(p) for p in refused.value.problems)
        session.rollback()


def _deploy_bytes(session, content: bytes):
    deploy.deploy(session, "zone_lifecycle.bpmn", content,
                  {"zone_rating.dmn": (BPMN_DIR / "zone_rating.dmn").read_bytes()})


def test_only_an_administrator_edits_the_calendar_and_bad_input_changes_nothing(session):
    with pytest.raises(PermissionDenied):
        holidays.set_day(session, user(session, "owner"), "2026-10-08", "holiday", "x", "")
    admin = user(session, "admin")
    for day, working, name in (("2026-13-01", "holiday", "x"), ("tomorrow", "holiday", "x"),
                               ("2026-10-08", "maybe", "x"), ("2026-10-08", "holiday", ""),
                               ("2026-10-08", "holiday", "a\u200bb")):
        with pytest.raises(InvalidForm):
            holidays.set_day(session, admin, day, working, name, "")
        session.rollback()
    assert session.get(CalendarDay, date(2026, 10, 8)) is None
    assert session.query(Event).filter_by(kind="calendar_changed").count() == 0


def test_removing_a_day_makes_it_ordinary_again_and_is_audited(session):
    admin = user(session, "admin")
    holidays.remove_day(session, admin, "2026-09-20")
    assert holidays.current(session).is_working(date(2026, 9, 20)) is False  # an ordinary Sunday again
    with pytest.raises(InvalidForm):
        holidays.remove_day(session, admin, "2026-09-21")
    event = session.query(Event).filter_by(kind="calendar_changed").one()
    assert event.data["after"] is None and event.data["before"]["working"] is True


def test_init_loads_the_shipped_calendar_once_and_keeps_edits(app, session):
    from workflow.services import setup

    admin = user(session, "admin")
    holidays.set_day(session, admin, "2026-10-10", "holiday", "改为休息", "")
    result = setup.init(session, BPMN_DIR, demo=False, demo_password="x")
    assert result["calendar_days_added"] == 0
    assert session.get(CalendarDay, date(2026, 10, 10)).working is False


def test_the_calendar_page_lists_a_year_and_an_administrator_edits_it(login_as, session):
    admin = login_as("admin")
    page = admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "2026-10-10" in page and "国务院办公厅关于2026年部分节假日安排的通知" in page and "248" in page
    assert "尚无节假日安排" in admin.get("/admin/calendar?year=2027").get_data(as_text=True)
    token = csrf(admin, "/admin/calendar")
    answer = admin.post("/admin/calendar?year=2027", data={"csrf_token": token, "day": "2027-02-05",
                                                          "working": "holiday", "name": "春节", "name_en": ""})
    assert answer.status_code == 302
    assert session.get(CalendarDay, date(2027, 2, 5)).working is False
    bad = admin.post("/admin/calendar", data={"csrf_token": token, "day": "2027-02-30", "working": "holiday",
                                              "name": "x"})
    assert bad.status_code == 400 and "2026-10-01" in bad.get_data(as_text=True)
    assert admin.post("/admin/calendar/remove", data={"csrf_token": token, "day": "2027-02-05"}).status_code == 302
    session.expire_all()
    assert session.get(CalendarDay, date(2027, 2, 5)) is None
    assert "修改工作日历" in admin.get("/admin/audit?category=calendar").get_data(as_text=True)


def test_the_calendar_page_is_for_administrators_only(login_as):
    assert login_as("owner").get("/admin/calendar").status_code == 403
    assert login_as("admin").get("/admin/calendar?year=x").status_code == 400


def csrf(client, path):
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_the_years_without_holidays_are_this_or_next_year_until_one_is_entered(session):
    assert holidays.uncovered_years(session, date(2026, 6, 1)) == [2027], "2026 ships with the application"
    assert holidays.uncovered_years(session, date(2025, 12, 31)) == [2025]
    assert holidays.uncovered_years(session, date(2028, 1, 1)) == [2028, 2029]
    admin = user(session, "admin")
    holidays.set_day(session, admin, "2027-02-20", "working", "春节调休", "Spring Festival (adjusted)")
    assert holidays.uncovered_years(session, date(2026, 6, 1)) == [2027], "an adjusted working day is no holiday"
    holidays.set_day(session, admin, "2027-01-01", "holiday", "元旦", "New Year's Day")
    assert holidays.uncovered_years(session, date(2026, 6, 1)) == []
    holidays.remove_day(session, admin, "2027-01-01")
    assert holidays.uncovered_years(session, date(2026, 6, 1)) == [2027]


GAP = "2027 年的法定节假日安排尚未录入，按工作日计算的期限暂按周一至周五计算。请在国务院办公厅通知发布后录入。"
GAP_EN = "The public holidays of 2027 have not been entered yet"


def test_the_admin_pages_warn_of_a_year_without_holidays_until_one_is_entered(login_as, session, monkeypatch):
    monkeypatch.setattr(holidays, "utcnow", lambda: datetime(2026, 6, 1, 2, tzinfo=UTC))
    admin = login_as("admin")
    calendar = admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert GAP in calendar and 'href="/admin/calendar?year=2027"' in calendar and "2026 年的法定" not in calendar
    assert GAP_EN in admin.get("/admin/calendar?lang=en").get_data(as_text=True)
    assert GAP in admin.get("/admin/users?lang=zh").get_data(as_text=True), "the language sticks to the session"
    assert GAP in admin.get("/processes").get_data(as_text=True)
    assert GAP in login_as("owner").get("/processes").get_data(as_text=True)
    assert "尚未录入" not in login_as("henan.bureau").get("/processes").get_data(as_text=True)
    assert "尚未录入" not in login_as("henan.bureau").get("/inbox").get_data(as_text=True)
    token = csrf(admin, "/admin/calendar")
    admin.post("/admin/calendar", data={"csrf_token": token, "day": "2027-01-01", "working": "holiday",
                                        "name": "元旦", "name_en": "New Year's Day"})
    assert session.get(CalendarDay, date(2027, 1, 1)).working is False
    for path in ("/admin/calendar", "/admin/users", "/processes"):
        assert "尚未录入" not in admin.get(path).get_data(as_text=True), path


def test_readyz_does_not_depend_on_the_calendar(app, client, session, monkeypatch):
    from workflow.models import utcnow
    from workflow.services import health

    monkeypatch.setattr(holidays, "utcnow", lambda: datetime(2030, 6, 1, tzinfo=UTC))
    health.beat(app.extensions["workflow.db"], "host-a:1", 60, utcnow(), 0.5, 0, ok=True)
    assert holidays.uncovered_years(session) == [2030, 2031]
    assert client.get("/readyz").json == {"status": "ready"}


def test_the_task_page_says_its_deadline_went_through_a_year_without_holidays(login_as, session):
    _deploy_in_working_days(session, "5")
    zones.file_application(session, user(session, "henan.gov"), application(), now=beijing(2026, 12, 28))
    task = session.query(HumanTask).filter_by(bpmn_id="bureau_recommendation").one()
    assert task.due_at == end_of(2027, 1, 4), "Monday to Friday: 1 January 2027 counts as a working day"
    bureau = login_as("henan.bureau")
    note = "（2027 年的法定节假日尚未录入，此期限暂按周一至周五计算）"
    assert note in bureau.get(f"/tasks/{task.id}").get_data(as_text=True)
    holidays.set_day(session, user(session, "admin"), "2027-01-01", "holiday", "元旦", "New Year's Day")
    assert "尚未录入" not in bureau.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_a_deadline_inside_a_covered_year_or_in_calendar_days_has_no_such_note(login_as, session):
    zones.file_application(session, user(session, "henan.gov"), application(), now=beijing(2026, 12, 28))
    task = session.query(HumanTask).filter_by(bpmn_id="bureau_recommendation").one()
    assert task.due_at.year == 2027, "P30D"
    assert "尚未录入" not in login_as("henan.bureau").get(f"/tasks/{task.id}").get_data(as_text=True)
    _deploy_in_working_days(session, "3")
    zones.file_application(session, user(session, "henan.gov"), application(zone_name="洛阳国检试验区"),
                           now=beijing(2026, 9, 30))
    later = session.query(HumanTask).filter_by(bpmn_id="bureau_recommendation").order_by(HumanTask.id.desc()).first()
    assert later.due_at == end_of(2026, 10, 10)
    assert "尚未录入" not in login_as("henan.bureau").get(f"/tasks/{later.id}").get_data(as_text=True)
