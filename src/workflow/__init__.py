"""The National Inspection Pilot Zone (国检试验区) workflow application."""

from __future__ import annotations

from typing import Any

from flask import Flask

from workflow import config as configuration
from workflow.config import ROOT


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: config -> database -> web glue -> blueprints -> error handlers."""
    from workflow import requestlog, web
    from workflow.db import Database
    from workflow.views import register

    settings = configuration.load(config)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "web" / "templates"),
        static_folder=str(ROOT / "web" / "static"),
    )
    app.config.update(
        SECRET_KEY=settings["SECRET_KEY"],
        MAX_CONTENT_LENGTH=settings["MAX_CONTENT_LENGTH"],
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["SESSION_COOKIE_SECURE"],
        WORKFLOW=settings,
    )
    if settings["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.extensions["workflow.db"] = Database(settings["DATABASE_URL"])
    requestlog.init_app(app)
    web.init_app(app)
    register(app)
    return app
