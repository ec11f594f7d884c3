"""A real `workflow serve` (gunicorn) in a subprocess, for the browser and scale-out tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(database_url: str, workers: int = 1, password: str = "demo-pass-1",  # noqa: S107 - demo data
           threads: int = 1):
    """Run `workflow init --demo` then `workflow serve`; yield the base URL; stop the server."""
    env = {**os.environ, "WORKFLOW_DATABASE_URL": database_url, "WORKFLOW_SECRET_KEY": "served-test",
           "WORKFLOW_DEMO_PASSWORD": password}
    subprocess.run([BIN / "workflow", "init", "--demo"], env=env, check=True, capture_output=True)
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen([BIN / "workflow", "serve", "--port", str(port), "--workers", str(workers),
                             "--threads", str(threads)],
                            env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/login", timeout=2).read()  # noqa: S310 - our own http URL
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError("server did not start: " + log.read().decode()[-2000:]) from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()
