"""The one exception tree; the web layer maps each class to an HTTP status in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Text:
    """A parameter that already exists in both languages (e.g. a label from the model)."""

    __slots__ = ("en", "zh")

    def __init__(self, zh: str, en: str = "") -> None:
        self.zh, self.en = zh, en or zh

    def __str__(self) -> str:
        return self.zh


class Msg:
    """A user-facing message: a zh-CN msgid with parameters, translated where it is shown."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params

    def render(self, gettext: Callable[[str], str] = str, lang: str = "zh") -> str:
        text = gettext(self.msgid)
        if not self.params:
            return text
        params = {k: (v.en if lang == "en" else v.zh) if isinstance(v, Text) else v for k, v in self.params.items()}
        return text % params

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Msg({self.msgid!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


class WorkflowError(Exception):
    """Base of every error the application raises on purpose."""

    status = 500
    code = ""  # the API's ``error`` field; empty: named after the status

    def __init__(self, message: str | Msg = "", fields: dict[str, str | Msg] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}


class BadRequest(WorkflowError):
    """The request itself is malformed."""

    status = 400


class InvalidForm(BadRequest):
    """Submitted values fail validation; ``fields`` maps field id to message."""


class NotFound(WorkflowError):
    """Nothing the user may see exists under that name."""

    status = 404


class NotAuthenticated(WorkflowError):
    """The request carries no valid login."""

    status = 401


class PermissionDenied(WorkflowError):
    """The user may see the object but not do this with it."""

    status = 403


class TooManyAttempts(WorkflowError):
    """Logins from this account or address are paused for a while."""

    status = 429

    def __init__(self, message: str | Msg, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnsupportedMediaType(WorkflowError):
    """The request body is not JSON."""

    status = 415


class Conflict(WorkflowError):
    """The object is no longer in the state the request expected."""

    status = 409


class TaskAlreadyDone(Conflict):
    """The task was completed before this request."""


class ClaimedByOther(Conflict):
    """Another official has claimed the task."""


class StaleInstance(Conflict):
    """Another request changed the process instance first."""


class DatabaseUnavailable(WorkflowError):
    """The database does not answer (server down or restarting, network cut); try again later."""

    status = 503


class InvalidModel(WorkflowError):
    """A BPMN model fails to parse or breaks one of our rules; ``problems`` lists why."""

    status = 400

    def __init__(self, problems: list) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class InvalidExpression(WorkflowError):
    """A model expression uses a construct outside the allow-list."""

    status = 400


class ExpressionLimit(InvalidExpression):
    """A model expression would build too big a value or run too long."""


class EngineFailure(WorkflowError):
    """The process engine could not run the model (e.g. a condition referring to missing data, a budget spent).

    Officials see only a plain message; ``detail`` (which may quote the model's expressions and
    data names) is for the process owner and the log. ``str()`` gives the detail.
    """

    status = 409
    code = "model_failure"

    def __init__(self, detail: str | Msg, process: str = "", element_id: str = "") -> None:
        super().__init__(Msg("这个环节的流程模型有误，已通知流程管理员"))
        self.detail = detail
        self.process = process
        self.element_id = element_id

    def __str__(self) -> str:
        return str(self.detail)


class BackupFailed(WorkflowError):
    """`workflow backup` or `workflow restore` refused or failed (the command line only; the message is English)."""
