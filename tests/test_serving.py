"""`workflow serve` as deployed: keep-alive, slow clients that do not take the site down, a restart after
its master was killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from tests.server import Server, served

PARTIAL_BODY = (b"POST /login HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 1000\r\n\r\nusername=slow")
PARTIAL_HEADERS = b"GET /login HTTP/1.1\r\nHost: t\r\nAccept: text/html\r\n"


@pytest.fixture
def database(tmp_path):
    return f"sqlite:///{tmp_path / 'served.sqlite3'}"


def connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=20)


def response_head(conn: socket.socket) -> tuple[str, bytes]:
    """The status line and headers of one response, and whatever of its body came with them."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def read_response(conn: socket.socket) -> str:
    head, body = response_head(conn)
    lengths = [line.split(":", 1)[1] for line in head.split("\r\n") if line.lower().startswith("content-length")]
    length = int(lengths[0])
    while len(body) < length:
        body += conn.recv(65536)
    return head


def test_connections_are_kept_alive_for_the_next_request(database):
    with served(database, workers=1) as base, connect(base) as conn:
        for _ in range(3):
            conn.sendall(b"GET /login HTTP/1.1\r\nHost: t\r\n\r\n")
            head = read_response(conn)
            assert head.startswith("HTTP/1.1 200") and "Connection: keep-alive" in head


def others_answer(base: str, times: int = 5) -> int:
    answered = 0
    for _ in range(times):
        with urllib.request.urlopen(base + "/login", timeout=5) as page:  # noqa: S310 - our own server
            answered += page.status == 200
    return answered


def test_slow_clients_do_not_take_the_site_down(database):
    with served(database, workers=2) as base:
        slow = [connect(base) for _ in range(4)]
        try:
            for conn, partial in zip(slow, [PARTIAL_BODY, PARTIAL_BODY, PARTIAL_BODY, PARTIAL_HEADERS], strict=True):
                conn.sendall(partial)
            time.sleep(0.5)  # let the server start reading them
            assert others_answer(base) == 5
        finally:
            for conn in slow:
                conn.close()


def test_a_stalled_or_trickled_body_gets_408_and_frees_its_thread(database):
    with served(database, workers=1, options=("--threads", "2", "--read-timeout", "1",
                                              "--request-timeout", "3")) as base:
        stalled, trickled = connect(base), connect(base)
        with stalled, trickled:
            stalled.sendall(PARTIAL_BODY)
            trickled.sendall(PARTIAL_BODY)
            deadline = time.monotonic() + 20
            trickled.settimeout(0.5)
            while True:  # a byte every half second: never silent for a second, but never done either
                trickled.sendall(b"x")
                try:
                    head, _ = response_head(trickled)
                    break
                except TimeoutError:
                    assert time.monotonic() < deadline, "no answer to a body that never ends"
            assert head.startswith("HTTP/1.1 408")
            assert response_head(stalled)[0].startswith("HTTP/1.1 408")
        assert others_answer(base) == 5, "both threads are free again"


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(not os.path.exists("/proc"), reason="needs Linux (parent-death signal)")
def test_after_its_master_is_killed_the_server_starts_again_on_the_same_port(database):
    server = Server(database, workers=2)
    server.init()
    server.start()
    workers = children(server.proc.pid)
    try:
        assert len(workers) == 2
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        server.start()
        deadline = time.monotonic() + 10
        while [w for w in workers if alive(w)]:
            assert time.monotonic() < deadline, "orphaned workers still hold the port"
            time.sleep(0.1)
        assert server.proc.poll() is None, server.output()[-1000:]
        assert len(children(server.proc.pid)) == 2, "the new master has bound the port and runs its workers"
        assert others_answer(server.base) == 5
    finally:
        server.stop()
        for orphan in (w for w in workers if alive(w)):
            os.kill(orphan, signal.SIGKILL)
