"""Pages of check-in: the participant's ticket, and the staff scanner.

The scanner page is a shell: it talks to the JSON API (app/api/checkin.py) with the session
cookie and the CSRF token from its <meta>, and keeps working offline through a service worker
(static/js/scanner-sw.js) and the session's list in IndexedDB. Only sessions with a venue have a
scanner; staff (role staff) see and open a session's only around it (rules.door_window).
"""

from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    render_template,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.checkin.rules import (
    REASON_MESSAGES,
    at_the_door,
    checkin_window,
    has_venue,
    require_at_the_door,
)
from app.core.access import public
from app.core.errors import NotFound
from app.core.types import utcnow
from app.events import services as events
from app.events.models import Mode, Series, SeriesStatus, Session, SessionFormat
from app.extensions import db
from app.orgs.access import org_role_required
from app.orgs.models import Role
from app.registration.services import mode_label

bp = Blueprint("checkin", __name__)
staff_only = org_role_required(Role.staff)

#: the start page lists sessions that ended this recently and start this soon
RECENT = timedelta(days=7)
UPCOMING = timedelta(days=30)
#: the service worker controls every scanner page of an organisation (and nothing else)
SW_SCOPE = "/orgs/{org_id}/checkin/"
#: the JSON API the page talks to (app/api/checkin.py)
API_BASE = "/api/v1"


def _venue_sessions(org_id: int) -> list[Session]:
    """Sessions of the organisation with a venue, from a week ago to a month ahead."""
    now = utcnow()
    return db.session.scalars(
        select(Session)
        .join(Series, Series.id == Session.series_id)
        .where(
            Series.org_id == org_id,
            Series.status != SeriesStatus.draft,
            Session.format != SessionFormat.online,
            Session.ends_at >= now - RECENT,
            Session.starts_at <= now + UPCOMING,
        )
        .order_by(Session.starts_at)
        .options(joinedload(Session.series))
    ).all()


def _window_state(session: Session, now) -> str:
    opens, closes = checkin_window(session)
    if session.is_cancelled:
        return "cancelled"
    return "upcoming" if now < opens else "closed" if now > closes else "open"


@bp.route("/orgs/<int:org_id>/checkin")
@staff_only
def start(org_id: int):
    now = utcnow()
    groups = {"open": [], "upcoming": [], "closed": [], "cancelled": []}
    organizer = g.membership.role.at_least(Role.organizer)
    for session in _venue_sessions(org_id):
        if organizer or at_the_door(session, now):
            groups[_window_state(session, now)].append((session, checkin_window(session)))
    groups["closed"].reverse()  # the most recent first
    return render_template("checkin/start.html", org=g.org, groups=groups, organizer=organizer)


def _door_session(org_id: int, session_id: int) -> Session:
    session = events.get_session(session_id, org_id=org_id)
    if not has_venue(session):  # nothing to scan: an online session's scanner does not exist
        raise NotFound()
    require_at_the_door(session, g.membership.role)
    return session


@bp.route("/orgs/<int:org_id>/checkin/sessions/<int:session_id>")
@staff_only
def scanner(org_id: int, session_id: int):
    """A session's scanner; for a session of several venues (サテライト会場), first the choice
    of the venue staff work at (each venue's scanner has its own address, to bookmark)."""
    session = _door_session(org_id, session_id)
    if len(session.venues) > 1:
        return render_template("checkin/venues.html", org=g.org, session=session)
    return _scanner_page(session, session.venues[0] if session.venues else None)


@bp.route("/orgs/<int:org_id>/checkin/sessions/<int:session_id>/venues/<int:venue_id>")
@staff_only
def venue_scanner(org_id: int, session_id: int, venue_id: int):
    """The scanner of one venue of a session: its list, its counter, its check-ins."""
    session = _door_session(org_id, session_id)
    venue = session.venue(venue_id)
    if venue is None:
        raise NotFound()
    return _scanner_page(session, venue)


def _scanner_page(session: Session, venue):
    opens, closes = checkin_window(session)
    return render_template(
        "checkin/scanner.html",
        org=g.org,
        session=session,
        venue=venue,
        several_venues=len(session.venues) > 1,
        opens=opens,
        closes=closes,
        state=_window_state(session, utcnow()),
        reasons={reason.value: message for reason, message in REASON_MESSAGES.items()},
        modes={mode.value: mode_label(mode) for mode in Mode},
        api_base=API_BASE,
        sw_url=url_for("checkin.service_worker"),
        sw_scope=SW_SCOPE.format(org_id=g.org.id),
    )


@bp.route("/checkin/sw.js")
@public
def service_worker():
    """The scanner's service worker: static code, so public; allowed to control /orgs/."""
    response = send_from_directory(
        current_app.static_folder, "js/scanner-sw.js", mimetype="text/javascript", max_age=0
    )
    response.headers["Service-Worker-Allowed"] = "/orgs/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/orgs/<int:org_id>/checkin/manifest.webmanifest")
@public
def manifest(org_id: int):
    """The web app manifest of an organisation's check-in, so that staff can add the scanner
    to their home screen and open it full screen. Public and the same for any number (the
    browser fetches it without cookies): it names no organisation and reads nothing."""
    start = url_for("checkin.start", org_id=org_id)
    icon = "icons/{}.png".format
    response = jsonify(
        {
            "id": start,
            "name": _("Kakawari check-in"),
            "short_name": _("Check-in"),
            "start_url": start,
            "scope": start,
            "display": "standalone",
            "orientation": "portrait",
            "background_color": "#f7f9f8",
            "theme_color": "#1d6b57",
            "icons": [
                {
                    "src": url_for("static", filename=icon("icon-192")),
                    "sizes": "192x192",
                    "type": "image/png",
                },
                {
                    "src": url_for("static", filename=icon("icon-512")),
                    "sizes": "512x512",
                    "type": "image/png",
                },
                {
                    "src": url_for("static", filename=icon("maskable-512")),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
        }
    )
    response.mimetype = "application/manifest+json"
    return response
