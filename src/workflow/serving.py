"""`workflow serve`: gunicorn's threaded workers, with keep-alive, read deadlines, and workers that die with
their master.

Slow clients: gunicorn's ``gthread`` worker keeps idle and kept-alive connections in a poller and hands
a connection to a thread once its first bytes arrive. From then on the thread reads the request
blocking, without any limit of its own. Here every read waits at most ``READ_TIMEOUT`` seconds, and
the whole request (headers and body) must arrive within ``REQUEST_TIMEOUT`` seconds of the thread
taking it; a body that does not is answered 408, headers that do not close the connection. A slow
client thus holds one thread for a bounded time while the others keep answering; a buffering reverse
proxy in front (README) takes slow clients off the application altogether.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import errno
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker
from werkzeug.exceptions import RequestTimeout

READ_TIMEOUT = 10.0  # seconds a client may stay silent while sending a request (`serve --read-timeout`)
REQUEST_TIMEOUT = 30.0  # seconds for a whole request; 2 MB (the default limit) needs ~70 kB/s (`--request-timeout`)
KEEPALIVE = 5  # seconds an idle kept-alive connection stays open
_PR_SET_PDEATHSIG = 1
_request = threading.local()  # the deadline of the request this worker thread is reading


class Stalled(TimeoutError):
    """The client did not send its request in time. The errno is ECONNRESET, so that gunicorn closes the
    connection quietly, as if the client had gone (which, for this request, it has)."""


class _DeadlineSocket(socket.socket):
    """A client socket whose reads, in a worker thread, keep to the read timeout and the request deadline."""

    __slots__ = ()

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(READ_TIMEOUT)
        else:
            super().setblocking(False)

    def recv(self, size: int, flags: int = 0) -> bytes:
        deadline = getattr(_request, "deadline", None)
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Stalled(errno.ECONNRESET, f"request not received within {REQUEST_TIMEOUT:g} s")
            self.settimeout(min(READ_TIMEOUT, left))
        try:
            return super().recv(size, flags)
        except TimeoutError:
            raise Stalled(errno.ECONNRESET, "client silent while sending its request") from None


class Worker(ThreadWorker):
    """gunicorn's threaded worker, reading each request against a deadline."""

    def enqueue_req(self, conn) -> None:
        if type(conn.sock) is socket.socket:
            conn.sock.__class__ = _DeadlineSocket  # same layout: only setblocking and recv differ
        super().enqueue_req(conn)

    def handle(self, conn):
        _request.deadline = time.monotonic() + REQUEST_TIMEOUT
        try:
            return super().handle(conn)
        finally:
            _request.deadline = None


class _Body:
    """``wsgi.input`` whose stalled reads are a 408 answer rather than a broken connection."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _read(self, read, size: int) -> bytes:
        try:
            return read(size)
        except Stalled:
            raise RequestTimeout() from None

    def read(self, size: int = -1) -> bytes:
        return self._read(self._stream.read, size)

    def readline(self, size: int = -1) -> bytes:
        return self._read(self._stream.readline, size)

    def __iter__(self):
        return iter(self.readline, b"")


def answer_stalled_bodies(app):
    """WSGI middleware: a request body that does not arrive in time is answered 408 (by the app's handler)."""
    def wrapped(environ, start_response):
        environ["wsgi.input"] = _Body(environ["wsgi.input"])
        return app(environ, start_response)
    return wrapped


def die_with_master(_server, worker) -> None:
    """Linux: have the kernel kill this worker when its master dies (e.g. ``kill -9``), freeing the port.

    Otherwise orphaned workers keep the listening socket, and a restarted master cannot bind it. With
    the master gone nothing would stop them gracefully; their open transactions roll back.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != worker.ppid:  # the master died before the line above
        os.kill(os.getpid(), signal.SIGKILL)


def shared_metrics_directory() -> str:
    """The directory where the workers' request metrics meet (prometheus-client's multiprocess mode).

    Set before any worker imports prometheus-client. ``PROMETHEUS_MULTIPROC_DIR`` if given (emptied of
    the previous run's files), else a fresh temporary directory that the master removes when it exits.
    """
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        os.makedirs(given, exist_ok=True)
        for name in os.listdir(given):
            if name.endswith(".db"):
                os.unlink(os.path.join(given, name))
        return given
    made = tempfile.mkdtemp(prefix="workflow-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    master = os.getpid()
    atexit.register(lambda: os.getpid() == master and shutil.rmtree(made, ignore_errors=True))
    return made


class Server(BaseApplication):
    """The WSGI server of `workflow serve`."""

    def __init__(self, host: str, port: int, workers: int, threads: int, read_timeout: float = READ_TIMEOUT,
                 request_timeout: float = REQUEST_TIMEOUT) -> None:
        global READ_TIMEOUT, REQUEST_TIMEOUT  # one server per process; its workers fork from here
        READ_TIMEOUT, REQUEST_TIMEOUT = read_timeout, request_timeout
        json_log = os.environ.get("WORKFLOW_REQUEST_LOG", "json") == "json"  # then the app logs each request
        shared_metrics_directory()
        self.settings = {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                         "worker_class": f"{__name__}.Worker", "keepalive": KEEPALIVE, "timeout": 60,
                         "accesslog": None if json_log else "-", "post_fork": die_with_master,
                         "control_socket_disable": True}  # one fixed path per user, shared by every instance
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.settings.items():
            self.cfg.set(key, value)

    def load(self):
        from workflow import create_app

        return answer_stalled_bodies(create_app())
