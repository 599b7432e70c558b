"""API: a session's archive (アーカイブ配信): the organiser's link and window, what the caller may
watch, heartbeats of the archive page, and viewing minutes. Viewing is archive viewing, kept
apart from live attendance (app/archive/services.py)."""

from flask import current_app
from flask_login import current_user

from app.api import Blueprint, ErrorSchema, PageQuery, requested_slice
from app.api.accounts import BEARER
from app.api.attendance import _session_organizer
from app.archive import services
from app.archive.models import Archive
from app.archive.schemas import (
    ArchiveIn,
    ArchiveOut,
    HeartbeatIn,
    HeartbeatOut,
    MyViewingList,
    SessionViewingOut,
    WatchableList,
)
from app.core.access import login_required
from app.core.errors import NotFound
from app.core.types import utcnow
from app.core.urls import external_url
from app.events.models import Session
from app.extensions import db, limiter

blp = Blueprint("api_archive", __name__, description="Archive viewing (アーカイブ配信)")

heartbeat_limit = limiter.limit(
    lambda: current_app.config["ARCHIVE_HEARTBEATS_PER_USER"],
    key_func=lambda: f"archive-beat:{current_user.id if current_user.is_authenticated else 0}",
    scope="archive-heartbeat",
)


def _documented(extra: dict[int, str] | None = None):
    described = {401: "Not logged in", **(extra or {})}

    def decorator(view):
        for status, description in described.items():
            view = blp.alt_response(status, schema=ErrorSchema, description=description)(view)
        return blp.doc(security=BEARER)(view)

    return decorator


def archive_payload(archive: Archive) -> dict:
    return {
        "session_id": archive.session_id,
        "url": archive.source_url,
        "kind": archive.kind,
        "embed_url": archive.embed_url,
        "days": archive.days,
        "venue_allowed": archive.venue_allowed,
        "published": archive.published_at is not None,
        "available_from": archive.available_from,
        "available_until": archive.available_until,
        "notified_at": archive.notified_at,
    }


ORGANISER = {403: "Staff of the organisation, or a participant", 404: "Not your organisation's"}


@blp.route("/sessions/<int:session_id>/archive", methods=["GET"])
@blp.response(200, ArchiveOut)
@_documented({**ORGANISER, 404: "No archive, or not your organisation's"})
@_session_organizer
def get_archive(session: Session):
    """The session's archive as the organiser set it. Organisers and owners."""
    archive = services.get_archive(session.id)
    if archive is None:
        raise NotFound()
    return archive_payload(archive)


@blp.route("/sessions/<int:session_id>/archive", methods=["PUT"])
@blp.arguments(ArchiveIn)
@blp.response(200, ArchiveOut)
@_documented({**ORGANISER, 422: "Not a YouTube/Vimeo/https video address, or not over yet"})
@_session_organizer
def put_archive(body, session: Session):
    """Add or change the session's archive (after the session ended).

    Publishing opens the window (from publication, `days` long) and mails the people who may
    watch it, once: publishing again or editing never mails again. Organisers and owners."""
    archive = services.save(session, current_user, body)
    db.session.commit()
    return archive_payload(archive)


@blp.route("/sessions/<int:session_id>/archive/viewing", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, SessionViewingOut)
@_documented(ORGANISER)
@_session_organizer
def session_viewing(query, session: Session):
    """Archive viewing of the session: people, minutes, and each viewer (or one page of
    them, by furigana). Never live attendance. Organisers and owners."""
    offset, limit = requested_slice(query) or (0, None)
    people, minutes = services.figures([session.id]).get(session.id, (0, 0))
    _total, rows = services.viewings(session.id, offset, limit)
    return {
        "session_id": session.id,
        "people": people,
        "minutes": minutes,
        "viewers": [
            {
                "user_id": u.id,
                "name": u.name,
                "furigana": u.furigana,
                "minutes": m,
                "last_at": last,
            }
            for u, m, last in rows
        ],
    }


@blp.route("/me/archives", methods=["GET"])
@blp.response(200, WatchableList)
@_documented()
@login_required
def my_archives():
    """The archives the caller may watch now (registered online, or at the venue when the
    organiser allows it, inside the window)."""
    archives = services.available_for(current_user.id)
    minutes = services.minutes_of(current_user.id, [a.session_id for a in archives])
    return {
        "archives": [
            {
                "session_id": a.session_id,
                "series_id": a.session.series_id,
                "series_title": a.session.series.title,
                "session_title": a.session.title,
                "kind": a.kind,
                "embed_url": a.embed_url,
                "page_url": external_url("archive.watch", session_id=a.session_id),
                "available_until": a.available_until,
                "minutes": minutes.get(a.session_id, 0),
            }
            for a in archives
        ]
    }


@blp.route("/me/archive-viewing", methods=["GET"])
@blp.response(200, MyViewingList)
@_documented()
@login_required
def my_viewing():
    """The caller's own archive minutes, per session watched."""
    rows = services.my_viewings(current_user.id)
    return {"sessions": [{"session_id": sid, "minutes": m} for sid, m in rows]}


@blp.route("/sessions/<int:session_id>/archive/heartbeat", methods=["POST"])
@blp.arguments(HeartbeatIn)
@blp.response(200, HeartbeatOut)
@_documented(
    {
        403: "Not allowed to watch this archive (`archive_not_allowed`)",
        404: "No archive",
        409: "Outside the window (`archive_closed`)",
        422: "A bad `tab`",
        429: "Too many heartbeats",
    }
)
@heartbeat_limit
@login_required
def heartbeat(body, session_id: int):
    """The archive page is still open and visible in one tab (`tab`): sent every 30 seconds
    while visible and once when hidden. Tabs and reconnects merge (a gap of over 90 seconds
    starts a new interval). Counts as archive viewing, never live attendance."""
    archive = services.watchable(session_id, current_user)
    viewing = services.heartbeat(archive, current_user, body["tab"], utcnow())
    db.session.commit()
    return {"session_id": session_id, "seconds": viewing.seconds, "minutes": viewing.minutes}
