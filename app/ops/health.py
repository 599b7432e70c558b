"""GET /healthz for load balancers and monitoring: does this process reach its database (and
Redis, when REDIS_URL is set)? No login, no personal data, no error details (they are logged)."""

import logging

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.core.access import public
from app.extensions import db

log = logging.getLogger("kakawari.health")

bp = Blueprint("ops", __name__)


def check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception:
        log.exception("Health check: the database does not answer")
        db.session.rollback()
        return "error"
    return "ok"


def check_redis() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        log.exception("Health check: Redis does not answer")
        return "error"
    finally:
        client.close()
    return "ok"


@bp.route("/healthz")
@public
def healthz():
    checks = {"database": check_database(), "redis": check_redis()}
    healthy = "error" not in checks.values()
    response = jsonify({"status": "ok" if healthy else "error", **checks})
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
