"""Logins: slowed per account name and address (never a lock the owner cannot pass), every login rate-limited,
password hashing bounded, refusals without a login counted instead of filling the audit log."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from workflow.errors import NotAuthenticated, TooManyAttempts
from workflow.models import Event, LoginAttempt, RefusalTally, utcnow
from workflow.services import logins

ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"


def fail(session, username, ip, now):
    with pytest.raises(NotAuthenticated):
        logins.login(session, username, "wrong password", ip=ip, now=now)


def test_made_up_names_from_an_address_do_not_block_real_accounts_there(session):
    now = utcnow()
    for i in range(40):
        fail(session, f"nobody{i}", ATTACKER, now)
    assert logins.login(session, "henan.gov", PASSWORD, ip=ATTACKER, now=now).username == "henan.gov"


def test_failures_slow_down_that_name_at_that_address_only(session):
    now = utcnow()
    for _ in range(logins.FREE_FAILURES):
        fail(session, "henan.gov", ATTACKER, now)
    with pytest.raises(TooManyAttempts) as slowed:
        logins.login(session, "henan.gov", PASSWORD, ip=ATTACKER, now=now)
    assert 1 <= slowed.value.retry_after <= 5
    assert logins.login(session, "henan.gov", PASSWORD, ip=OWNER, now=now).username == "henan.gov", \
        "the owner, elsewhere, logs in with the right password at once"


def test_the_delay_grows_with_each_failure_and_passes(session, monkeypatch):
    monkeypatch.setattr(logins, "RATE_LIMIT", 1000)
    now, waits = utcnow(), []
    while len(waits) < 12:
        try:
            fail(session, "henan.gov", ATTACKER, now)
        except TooManyAttempts as slowed:
            waits.append(slowed.retry_after)
            now += timedelta(seconds=slowed.retry_after)
    assert waits == sorted(waits) and waits[-1] > 100 * waits[0]
    assert logins.login(session, "henan.gov", PASSWORD, ip=ATTACKER, now=now).username == "henan.gov", \
        "after the wait the right password works, and the failures are forgotten"
    fail(session, "henan.gov", ATTACKER, now)
    fail(session, "henan.gov", ATTACKER, now)


def test_the_delay_never_exceeds_its_cap(session):
    now = utcnow()
    for _ in range(30):
        try:
            fail(session, "henan.gov", ATTACKER, now)
        except TooManyAttempts as slowed:
            assert slowed.retry_after <= logins.MAX_DELAY.total_seconds() + 1
        now += logins.MAX_DELAY + timedelta(seconds=1)
    assert logins.delay(10_000) == logins.MAX_DELAY


def test_successful_logins_are_rate_limited_too(session):
    now = utcnow()
    for _ in range(logins.RATE_LIMIT):
        logins.login(session, "henan.gov", PASSWORD, ip=OWNER, now=now)
    with pytest.raises(TooManyAttempts) as limited:
        logins.login(session, "henan.gov", PASSWORD, ip=OWNER, now=now)
    assert limited.value.retry_after <= 61
    assert logins.login(session, "henan.gov", PASSWORD, ip=OWNER, now=now + timedelta(minutes=1)).username


def test_the_api_answers_429_with_retry_after(client):
    for _ in range(logins.FREE_FAILURES + 1):
        client.post("/api/v1/token", json={"username": "henan.gov", "password": "wrong"})
    slowed = client.post("/api/v1/token", json={"username": "henan.gov", "password": PASSWORD})
    assert slowed.status_code == 429 and slowed.json["error"] == "too_many_attempts"
    assert 1 <= int(slowed.headers["Retry-After"]) <= 4
    elsewhere = client.post("/api/v1/token", json={"username": "henan.gov", "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": OWNER})
    assert elsewhere.status_code == 201


def test_the_login_page_answers_429_with_retry_after(client):
    from tests.conftest import csrf_of

    token = csrf_of(client)
    for _ in range(logins.FREE_FAILURES + 1):
        client.post("/login", data={"username": "henan.gov", "password": "wrong", "csrf_token": token})
    page = client.post("/login", data={"username": "henan.gov", "password": PASSWORD, "csrf_token": token})
    assert page.status_code == 429 and int(page.headers["Retry-After"]) >= 1


def test_a_login_waits_for_a_free_hashing_slot_and_gives_up_cleanly(session, monkeypatch):
    monkeypatch.setattr(logins, "HASH_WAIT", 0.01)
    assert logins._SLOTS.acquire(timeout=1)
    try:
        with pytest.raises(TooManyAttempts):
            logins.login(session, "henan.gov", PASSWORD, ip=OWNER)
    finally:
        logins._SLOTS.release()
    assert logins.login(session, "henan.gov", PASSWORD, ip=OWNER).username == "henan.gov"


def test_no_more_hashes_run_at_once_than_there_are_slots(app, monkeypatch):
    running, most, lock = [0], [0], threading.Lock()
    hasher = logins._HASHER

    class Counting:
        def verify(self, hash_, password):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            try:
                return hasher.verify(hash_, password)
            finally:
                with lock:
                    running[0] -= 1

        def __getattr__(self, name):
            return getattr(hasher, name)

    monkeypatch.setattr(logins, "_HASHER", Counting())
    db, names = app.extensions["workflow.db"], []

    def one(i):
        with db.session() as session:
            names.append(logins.login(session, "henan.gov", PASSWORD, ip=f"10.0.0.{i}").username)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert names == ["henan.gov"] * 6
    assert most[0] == logins.HASH_SLOTS


def test_refusals_without_a_login_are_counted_per_address_and_minute(app, client):
    for _ in range(50):
        assert client.get("/api/v1/tasks").status_code == 401
    for i in range(30):
        client.post("/api/v1/token", json={"username": f"nobody{i}", "password": "wrong"})
    with app.extensions["workflow.db"].session() as session:
        rows = session.scalar(select(func.count()).select_from(Event).where(
            Event.kind.in_(["access_denied", "login_failed"])))
        counted = session.scalar(select(func.sum(RefusalTally.count)))
    assert rows <= 2 * 3, "a few in full per minute, not one row each"
    assert counted >= 80


def test_ipv6_refusals_are_counted_by_network():
    from workflow.services.audit import address_key

    assert address_key("2001:db8::1") == address_key("2001:db8::ffff:1") == "2001:db8::/64"
    assert address_key("192.0.2.1") == "192.0.2.1"


def test_old_counters_are_forgotten(session):
    then = utcnow() - timedelta(days=2)
    fail(session, "nobody", ATTACKER, then)
    logins.login(session, "henan.gov", PASSWORD, ip=OWNER)
    assert session.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.username == "nobody")) == 0


def test_the_audit_page_shows_the_counts(client, login_as):
    for _ in range(7):
        client.get("/api/v1/zones", environ_base={"REMOTE_ADDR": ATTACKER})
    page = login_as("admin").get("/admin/audit").get_data(as_text=True)
    assert f"<td>{ATTACKER}</td><td>7</td>" in page
