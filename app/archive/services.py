"""Archives: the organiser's link and window, who may watch, and time spent watching.

Services flush; the edge (a page's POST, an API operation) commits once. The mail to the
registered people is queued in the same transaction (app/mail/queue.py, sent after the commit)
and only ever once per archive (`Archive.notified_at`).

Viewing is measured like presence in the live room (app/live/presence.py): each tab's page
sends heartbeats; a heartbeat within HEARTBEAT_GAP of the tab's last one extends its interval,
a later one starts another; a person's time is the union of their intervals across tabs. It is
stored as archive viewing (ArchiveViewing) and never touches live attendance.
"""

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.archive.models import Archive, ArchiveInterval, ArchiveViewing
from app.audit import services as audit
from app.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.core.intervals import merge_intervals
from app.core.types import utcnow
from app.events.models import Mode, Series, Session
from app.extensions import db
from app.registration.models import Place, PlaceStatus, Registration

DAYS_DEFAULT = 14
DAYS_MAX = 365
URL_MAX = 500
TAB = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
VIMEO_ID = re.compile(r"^[0-9]{5,12}$")
VIMEO_HASH = re.compile(r"^[0-9a-f]{6,20}$")

BAD_URL = _l(
    "Give the recording's address: a YouTube or Vimeo video, or a video file on https "
    "(.mp4, .webm, .m4v, .mov)."
)
NOT_OVER = _l("An archive is added after the session has ended.")
CANCELLED = _l("This session was cancelled: it has no archive.")
FILE_TYPES = (".mp4", ".webm", ".m4v", ".mov")


class ArchiveClosed(Conflict):
    code = "archive_closed"


class NotAllowedToWatch(PermissionDenied):
    code = "archive_not_allowed"


def heartbeat_gap() -> timedelta:
    return timedelta(seconds=current_app.config["ARCHIVE_HEARTBEAT_GAP"])


# --- the link -----------------------------------------------------------------------------------


def normalise_url(url) -> tuple[str, str]:
    """(kind, embeddable URL) of a YouTube, Vimeo or https video file address; ValidationFailed
    on the `url` field for anything else (other schemes and hosts, a page that is not a video)."""
    if not isinstance(url, str) or not url.strip() or len(url.strip()) > URL_MAX:
        raise ValidationFailed(fields={"url": [BAD_URL]})
    url = url.strip()
    try:
        parsed = urlparse(url)
        host = (parsed.hostname or "").lower()
        parsed.port  # noqa: B018 -- a malformed port raises ValueError
    except ValueError:
        raise ValidationFailed(fields={"url": [BAD_URL]}) from None
    if parsed.scheme != "https" or not host or parsed.username or parsed.password:
        raise ValidationFailed(fields={"url": [BAD_URL]})
    path = [p for p in parsed.path.split("/") if p]
    video = None
    if host in ("youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com",
                "www.youtube-nocookie.com"):  # fmt: skip
        if path == ["watch"]:
            video = parse_qs(parsed.query).get("v", [None])[0]
        elif len(path) == 2 and path[0] in ("embed", "live", "shorts"):
            video = path[1]
    elif host == "youtu.be" and len(path) == 1:
        video = path[0]
    if video is not None:
        if not YOUTUBE_ID.match(video):
            raise ValidationFailed(fields={"url": [BAD_URL]})
        return "youtube", f"https://www.youtube-nocookie.com/embed/{video}"
    if host in ("vimeo.com", "www.vimeo.com", "player.vimeo.com"):
        if path[:1] == ["video"]:
            path = path[1:]
        if path and VIMEO_ID.match(path[0]):
            embed = f"https://player.vimeo.com/video/{path[0]}"
            unlisted = path[1] if len(path) > 1 else parse_qs(parsed.query).get("h", [None])[0]
            if unlisted and VIMEO_HASH.match(unlisted):
                embed += f"?h={unlisted}"
            return "vimeo", embed
        raise ValidationFailed(fields={"url": [BAD_URL]})
    if parsed.path.lower().endswith(FILE_TYPES):
        return "file", parsed._replace(fragment="").geturl()
    raise ValidationFailed(fields={"url": [BAD_URL]})


def get_archive(session_id: int) -> Archive | None:
    return db.session.scalar(select(Archive).where(Archive.session_id == session_id))


def save(session: Session, actor: User, data: dict, now: datetime | None = None) -> Archive:
    """Add or change the session's archive: data has url, days, venue_allowed, published.
    Publishing sets the window (from the later of now and the session's end, `days` long) and
    mails the people who may watch it, once ever. Flushes; the caller commits."""
    now = now or utcnow()
    if session.is_cancelled:
        raise ValidationFailed(CANCELLED)
    if session.ends_at > now:
        raise ValidationFailed(NOT_OVER)
    errors: dict[str, list] = {}
    try:
        kind, embed = normalise_url(data.get("url"))
    except ValidationFailed as exc:
        errors.update(exc.fields)
    days = data.get("days", DAYS_DEFAULT)
    if days in (None, ""):
        days = DAYS_DEFAULT
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= DAYS_MAX:
        errors["days"] = [_l("Between 1 and %(n)s days.", n=DAYS_MAX)]
    if errors:
        raise ValidationFailed(fields=errors)
    archive = get_archive(session.id)
    if archive is None:
        archive = Archive(session_id=session.id, created_at=now)
        db.session.add(archive)
    archive.session = session
    archive.source_url = data["url"].strip()
    archive.kind, archive.embed_url = kind, embed
    archive.days = days
    archive.venue_allowed = bool(data.get("venue_allowed", False))
    archive.updated_at, archive.updated_by_id = now, actor.id
    if data.get("published"):
        if archive.published_at is None:
            archive.published_at = now
            archive.available_from = max(now, session.ends_at)
        archive.available_until = archive.available_from + timedelta(days=days)
    else:
        archive.published_at = None
    audit.record(
        "archive.saved",
        actor=actor,
        org_id=session.series.org_id,
        session_id=session.id,
        kind=kind,
        published=archive.published_at is not None,
        days=days,
        venue_allowed=archive.venue_allowed,
    )
    db.session.flush()
    if archive.published_at is not None and archive.notified_at is None:
        from app.archive.notifications import tell_viewers

        tell_viewers(archive)
        archive.notified_at = now
        db.session.flush()
    return archive


# --- who may watch ------------------------------------------------------------------------------


def may_watch(archive: Archive, place: Place | None) -> bool:
    """The rule: a confirmed place online, or at the venue when the organiser allows it."""
    return (
        place is not None
        and place.status is PlaceStatus.confirmed
        and (place.mode is Mode.online or archive.venue_allowed)
    )


def place_of(session_id: int, user_id: int) -> Place | None:
    """The person's place in the session that speaks for them (confirmed first)."""
    places = db.session.scalars(
        select(Place)
        .join(Registration, Registration.id == Place.registration_id)
        .where(Place.session_id == session_id, Registration.user_id == user_id)
        .order_by(Place.id)
    ).all()
    confirmed = [p for p in places if p.status is PlaceStatus.confirmed]
    return (confirmed or places or [None])[-1]


def verdict(archive: Archive | None, place: Place | None, now: datetime) -> str:
    """What the archive page says: "watch", or why not ("none", "not_registered", "venue",
    "not_yet", "closed")."""
    if archive is None or archive.published_at is None:
        return "none"
    if not may_watch(archive, place):
        if place is not None and place.status is PlaceStatus.confirmed:
            return "venue"
        return "not_registered"
    if now < archive.available_from:
        return "not_yet"
    if now >= archive.available_until:
        return "closed"
    return "watch"


def watchable(session_id: int, user: User, now: datetime | None = None) -> Archive:
    """The archive the person may watch now; NotFound (no archive), NotAllowedToWatch or
    ArchiveClosed otherwise."""
    now = now or utcnow()
    archive = get_archive(session_id)
    found = verdict(archive, place_of(session_id, user.id), now)
    if found == "none":
        raise NotFound(_l("This session has no archive."))
    if found in ("venue", "not_registered"):
        raise NotAllowedToWatch(_l("The archive is for the people registered for the session."))
    if found != "watch":
        raise ArchiveClosed(_l("The archive cannot be watched now."))
    return archive


def available_for(user_id: int, now: datetime | None = None) -> list[Archive]:
    """Archives the person may watch now (their session and series loaded), newest first, in
    one query."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Archive, Session, Series)
        .join(Session, Session.id == Archive.session_id)
        .join(Series, Series.id == Session.series_id)
        .join(Place, Place.session_id == Session.id)
        .join(Registration, Registration.id == Place.registration_id)
        .where(
            Registration.user_id == user_id,
            Place.status == PlaceStatus.confirmed,
            (Place.mode == Mode.online) | Archive.venue_allowed,
            Archive.published_at.is_not(None),
            Archive.available_from <= now,
            Archive.available_until > now,
        )
        .order_by(Session.starts_at.desc())
    ).all()
    seen, found = set(), []
    for archive, _session, _series in rows:
        if archive.id not in seen:
            seen.add(archive.id)
            found.append(archive)
    return found


# --- viewing ------------------------------------------------------------------------------------


def heartbeat(archive: Archive, user: User, tab, now: datetime | None = None) -> ArchiveViewing:
    """The page of one tab is still being watched: extend its interval (or start one after a
    gap) and bring the person's viewing up to date. Flushes; the caller commits."""
    if not isinstance(tab, str) or not TAB.match(tab):
        raise ValidationFailed(fields={"tab": [_l("A tab id of 8 to 64 letters or digits.")]})
    now = now or utcnow()
    last = db.session.scalar(
        select(ArchiveInterval)
        .where(
            ArchiveInterval.session_id == archive.session_id,
            ArchiveInterval.user_id == user.id,
            ArchiveInterval.tab == tab,
        )
        .order_by(ArchiveInterval.id.desc())
        .limit(1)
    )
    if last is not None and now - heartbeat_gap() <= last.last_seen_at <= now:
        last.last_seen_at = now
    elif last is None or last.last_seen_at < now:
        db.session.add(
            ArchiveInterval(
                session_id=archive.session_id,
                user_id=user.id,
                tab=tab,
                started_at=now,
                last_seen_at=now,
            )
        )
    db.session.flush()
    return _refresh(archive.session_id, user.id, now)


def _refresh(session_id: int, user_id: int, now: datetime) -> ArchiveViewing:
    spans = db.session.execute(
        select(ArchiveInterval.started_at, ArchiveInterval.last_seen_at).where(
            ArchiveInterval.session_id == session_id, ArchiveInterval.user_id == user_id
        )
    ).all()
    merged = merge_intervals(spans)
    seconds = int(sum((e - s).total_seconds() for s, e in merged))
    viewing = db.session.get(ArchiveViewing, (session_id, user_id))
    if viewing is None:
        viewing = ArchiveViewing(session_id=session_id, user_id=user_id, first_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(viewing)
        except IntegrityError:  # the other tab's first heartbeat made it at once
            viewing = db.session.get(ArchiveViewing, (session_id, user_id), populate_existing=True)
    viewing.seconds, viewing.last_at = seconds, now
    db.session.flush()
    return viewing


def minutes_of(user_id: int, session_ids) -> dict[int, int]:
    """session id -> the person's archive minutes (sessions watched only), in one query."""
    ids = list(session_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ArchiveViewing.session_id, ArchiveViewing.seconds).where(
            ArchiveViewing.user_id == user_id, ArchiveViewing.session_id.in_(ids)
        )
    )
    return {sid: seconds // 60 for sid, seconds in rows}


def minutes_by_user(session_id: int) -> dict[int, int]:
    """user id -> archive minutes of everyone who watched the session, in one query."""
    rows = db.session.execute(
        select(ArchiveViewing.user_id, ArchiveViewing.seconds).where(
            ArchiveViewing.session_id == session_id
        )
    )
    return {uid: seconds // 60 for uid, seconds in rows}


def figures(session_ids) -> dict[int, tuple[int, int]]:
    """session id -> (people who watched, their minutes in all), in one query."""
    ids = list(session_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            ArchiveViewing.session_id,
            func.count(ArchiveViewing.user_id),
            func.coalesce(func.sum(ArchiveViewing.seconds), 0),
        )
        .where(ArchiveViewing.session_id.in_(ids), ArchiveViewing.seconds > 0)
        .group_by(ArchiveViewing.session_id)
    )
    return {sid: (people, int(seconds) // 60) for sid, people, seconds in rows}


def viewings(session_id: int, offset: int = 0, limit: int | None = None):
    """(total, [(user, minutes)]) of the session's viewers by furigana, a page at a time."""
    base = and_(ArchiveViewing.session_id == session_id, ArchiveViewing.seconds > 0)
    total = db.session.scalar(select(func.count()).select_from(ArchiveViewing).where(base))
    query = (
        select(User, ArchiveViewing.seconds, ArchiveViewing.last_at)
        .join(ArchiveViewing, ArchiveViewing.user_id == User.id)
        .where(base)
        .order_by(User.furigana, User.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return total, [(u, s // 60, last) for u, s, last in db.session.execute(query)]


def my_viewings(user_id: int) -> list[tuple[int, int]]:
    """(session id, minutes) of everything the person watched, latest first."""
    rows = db.session.execute(
        select(ArchiveViewing.session_id, ArchiveViewing.seconds)
        .where(ArchiveViewing.user_id == user_id, ArchiveViewing.seconds > 0)
        .order_by(ArchiveViewing.last_at.desc())
    )
    return [(sid, seconds // 60) for sid, seconds in rows]
