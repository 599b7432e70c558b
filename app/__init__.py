"""Kakawari: hybrid lecture series and workshops, one attendance history."""

import logging
from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_talisman import Talisman
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from app.core.jsonbody import Request
from app.core.prefectures import prefecture_name
from app.extensions import babel, csrf, db, limiter, login_manager, migrate

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "frame-src": "'self' https://www.youtube-nocookie.com https://www.youtube.com "
    "https://player.vimeo.com",
    # an archive may be a video file on any https host (app/archive/services.normalise_url)
    "media-src": "'self' https:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def create_app(config_object="config.Config", **overrides) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=False,
    )
    app.request_class = Request  # bodies are read as JSON only through app.core.jsonbody
    app.config.from_object(config_object)
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        from app.core.secrets import load_or_create_secret_key

        app.config["SECRET_KEY"] = load_or_create_secret_key(app.config["INSTANCE_DIR"])
    _ensure_sqlite_dir(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config["SESSION_COOKIE_SECURE"] = app.config["HTTPS"]
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["HTTPS"]
    if app.config.get("PROXY_FIX"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    _init_extensions(app)
    _register_blueprints(app)

    from app.core.error_handlers import register_error_handlers
    from app.core.forms import refused_input_status
    from app.core.timefmt import register_filters

    register_error_handlers(app)
    app.after_request(refused_input_status)
    register_filters(app)
    _register_cli(app)

    from app.mail.delivery import init_mail_delivery

    init_mail_delivery(app)  # who sends the queued mail: inline, a thread, or the worker

    from app.registration.reminders import schedule_reminders

    schedule_reminders(app)  # the mail thread and worker also send the reminders

    from app.attendance.jobs import schedule_attendance

    schedule_attendance(app)  # ... and keep attendance of sessions under way current

    from app.webhooks.sender import schedule_webhooks

    schedule_webhooks(app)  # ... and send the webhooks' deliveries

    from app.live.socket import attach_socket_server

    attach_socket_server(app)  # Socket.IO under /socket.io/, in front of everything else
    return app


def _ensure_sqlite_dir(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _tune_sqlite(engine) -> None:
    """The embedded database: foreign keys on (cascades), WAL so readers never wait for the
    writer, and a busy timeout so writers queue for the lock instead of failing."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def select_locale() -> str:
    """The person's stored choice, else the visitor's choice, else Accept-Language, else ja."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, background work: emails choose their own locale
        return "ja"
    try:
        if current_user and current_user.is_authenticated:
            return current_user.locale
    except SQLAlchemyError:
        # the person's row could not be read (the database is restarting while an error
        # page is being written): the visitor's own choice below still answers in a language
        pass
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or "ja"


def _database_options(app: Flask) -> None:
    """PostgreSQL: statements are prepared at their first use on each connection. psycopg's
    default is the sixth, and a pool of connections under a burst then parses and plans most
    statements again and again (registration rush: PostgreSQL's CPU per registration
    5.5 → 4 ms)."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        connect_args = dict(options.get("connect_args", {}))
        connect_args.setdefault("prepare_threshold", app.config["DATABASE_PREPARE_THRESHOLD"])
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _init_extensions(app: Flask) -> None:
    _database_options(app)
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Tokyo")
    limiter.init_app(app)
    # One Talisman per app: it keeps its settings on the instance, so a shared one would let
    # one app's HTTPS setting leak into another's (tests build several apps).
    Talisman(
        app,
        force_https=app.config["HTTPS"],
        strict_transport_security=app.config["HTTPS"],
        session_cookie_secure=app.config["HTTPS"],
        session_cookie_http_only=True,
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"camera": "(self)", "microphone": "()", "geolocation": "()"},
    )

    from app.accounts import loaders

    with app.app_context():
        _tune_sqlite(db.engine)

    login_manager.init_app(app)
    loaders.register(login_manager)

    # Models of every area, so Alembic and create_all see the whole schema.
    from app.accounts import models as _accounts  # noqa: F401
    from app.api import models as _api  # noqa: F401
    from app.archive import models as _archive  # noqa: F401
    from app.attendance import models as _attendance  # noqa: F401
    from app.audit import models as _audit  # noqa: F401
    from app.checkin import models as _checkin  # noqa: F401
    from app.events import models as _events  # noqa: F401
    from app.live import models as _live  # noqa: F401
    from app.mail import models as _mail  # noqa: F401
    from app.orgs import models as _orgs  # noqa: F401
    from app.programme import models as _programme  # noqa: F401
    from app.records import models as _records  # noqa: F401
    from app.registration import models as _registration  # noqa: F401
    from app.surveys import models as _surveys  # noqa: F401
    from app.webhooks import models as _webhooks  # noqa: F401

    @app.context_processor
    def _template_globals():
        return {"prefecture_name": prefecture_name, "get_locale": get_locale}


def _register_blueprints(app: Flask) -> None:
    from app.core.urls import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter
    from app.accounts.views import bp as accounts_bp
    from app.admin.views import bp as admin_bp
    from app.api import init_api
    from app.archive.views import bp as archive_bp
    from app.attendance import receivers as _attendance_receivers  # noqa: F401
    from app.attendance.manage_views import bp as attendance_manage_bp
    from app.attendance.report_views import bp as attendance_reports_bp
    from app.attendance.views import bp as attendance_bp
    from app.checkin import receivers  # noqa: F401 -- connects its signal receivers
    from app.checkin.ticket_views import bp as tickets_bp
    from app.checkin.views import bp as checkin_bp
    from app.events.views import bp as events_bp
    from app.live.views import bp as live_bp
    from app.main.views import bp as main_bp
    from app.ops.health import bp as ops_bp
    from app.orgs.views import bp as orgs_bp
    from app.programme.views import bp as programme_bp
    from app.records.org_views import bp as records_org_bp
    from app.records.views import bp as records_bp
    from app.registration import (
        erasure,  # noqa: F401 -- connects its signal receivers
        notifications,  # noqa: F401 -- connects its signal receivers
    )
    from app.registration.manage import bp as manage_bp
    from app.registration.reminder_views import bp as reminders_bp
    from app.registration.views import bp as registration_bp
    from app.surveys import programme as survey_programme
    from app.surveys.respond_views import bp as surveys_respond_bp
    from app.surveys.results_views import bp as survey_results_bp
    from app.surveys.views import bp as surveys_bp

    survey_programme.register()  # the survey figures on the attendance dashboards
    from app.records import personal as record_personal
    from app.surveys import personal as survey_personal

    survey_personal.register()  # in the personal-data download; erased with the account
    record_personal.register()
    from app.webhooks import receivers as _webhook_receivers  # noqa: F401
    from app.webhooks.views import bp as webhooks_bp

    for bp in (
        main_bp,
        accounts_bp,
        orgs_bp,
        admin_bp,
        events_bp,
        manage_bp,
        reminders_bp,
        registration_bp,
        checkin_bp,
        tickets_bp,
        live_bp,
        archive_bp,
        attendance_manage_bp,
        attendance_reports_bp,
        attendance_bp,
        surveys_bp,
        survey_results_bp,
        surveys_respond_bp,
        records_bp,
        records_org_bp,
        programme_bp,
        ops_bp,
        webhooks_bp,
    ):
        app.register_blueprint(bp)
    init_api(app)


def _register_cli(app: Flask) -> None:
    from app.accounts.cli import users_cli
    from app.attendance.cli import attendance_cli
    from app.demo.cli import demo_cli
    from app.mail.cli import mail_cli
    from app.registration.cli import registration_cli, reminders_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(attendance_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(registration_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(mail_cli)
