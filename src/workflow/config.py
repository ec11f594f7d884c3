"""Defaults overridden by ``WORKFLOW_*`` environment variables; tests pass a dict."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": f"sqlite:///{ROOT / 'instance' / 'workflow.sqlite3'}",
    "BPMN_DIR": str(ROOT / "bpmn"),
    "SECRET_KEY": None,
    "DEMO_PASSWORD": "demo",
    "DEFAULT_LOCALE": "zh",
    "SESSION_COOKIE_SECURE": False,
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "TRUSTED_PROXIES": 0,
    "REQUEST_LOG": "json",
    "METRICS_TOKEN": "",
}


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then ``WORKFLOW_<KEY>`` from the environment, then explicit overrides."""
    config = dict(DEFAULTS)
    for key in DEFAULTS:
        value = os.environ.get(f"WORKFLOW_{key}")
        if value is not None:
            config[key] = _coerce(DEFAULTS[key], value)
    config.update(overrides or {})
    config["DEFAULT_LOCALE"] = _language(config["DEFAULT_LOCALE"])
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(config)
    return config


def _coerce(default: Any, value: str) -> Any:
    if isinstance(default, bool):
        return value.lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(value)
    return value


def _language(value: str) -> str:
    """``zh`` or ``en``; locale spellings such as ``zh_Hans_CN``, ``zh-CN`` or ``en_US`` are accepted."""
    language = str(value).strip().lower().replace("-", "_").split("_")[0]
    if language not in {"zh", "en"}:
        raise ValueError(f"WORKFLOW_DEFAULT_LOCALE must be zh or en, got {value!r}")
    return language


def _instance_secret(config: dict[str, Any]) -> str:
    """A secret kept beside the SQLite file, so sessions survive restarts and workers agree."""
    path = ROOT / "instance" / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)
    return secret
