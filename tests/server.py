"""A real `workflow serve` (gunicorn) in a subprocess, for the browser and scale-out tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import requests

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`workflow serve` on one port, started (and started again) as a supervisor would."""

    def __init__(self, database_url: str, workers: int = 1, password: str = "demo-pass-1",  # noqa: S107
                 port: int | None = None, options: tuple[str, ...] = ()) -> None:
        self.env = {**os.environ, "WORKFLOW_DATABASE_URL": database_url, "WORKFLOW_SECRET_KEY": "served-test",
                    "WORKFLOW_DEMO_PASSWORD": password}
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.args = ["--port", str(self.port), "--workers", str(workers), *options]
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()

    def init(self) -> None:
        subprocess.run([BIN / "workflow", "init", "--demo"], env=self.env, check=True, capture_output=True)

    def start(self, wait: float = 30) -> None:
        """Start the server and return once it answers; RuntimeError (with its log) if it does not."""
        self.proc = subprocess.Popen([BIN / "workflow", "serve", *self.args], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + wait
        while True:
            try:
                urllib.request.urlopen(self.base + "/login", timeout=2).read()  # noqa: S310 - our own URL
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("server did not start: " + self.output()[-2000:]) from None
                time.sleep(0.2)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
        self.log.close()


@contextmanager
def served(database_url: str, workers: int = 1, password: str = "demo-pass-1",  # noqa: S107 - demo data
           options: tuple[str, ...] = ()):
    """Run `workflow init --demo` then `workflow serve`; yield the base URL; stop the server."""
    server = Server(database_url, workers, password, options=options)
    try:
        server.init()
        server.start()
        yield server.base
    finally:
        server.stop()


def login(base: str, username: str, password: str = "demo-pass-1") -> tuple[requests.Session, str]:  # noqa: S107
    """A browser session logged in to a served app, and its CSRF token."""
    http = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(base + "/login").text).group(1)
    response = http.post(base + "/login", data={"username": username, "password": password, "csrf_token": token},
                         allow_redirects=False)
    assert response.status_code == 302, response.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(base + "/inbox").text).group(1)
    return http, token
