"""rules.reject_reason(): why a person may not be admitted to a session, decided from what it is
given alone. Pure: transient objects, a bare Flask app for the config, no database."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

# every area's models, so that the mappers configure and transient objects can be built
from app.accounts import models as _accounts  # noqa: F401
from app.attendance import models as _attendance  # noqa: F401
from app.audit import models as _audit  # noqa: F401
from app.checkin import models as _checkin  # noqa: F401
from app.checkin.rules import Reason, reject_reason
from app.events.models import Mode, Series, Session, SessionFormat, SessionStatus
from app.live import models as _live  # noqa: F401
from app.mail import models as _mail  # noqa: F401
from app.orgs import models as _orgs  # noqa: F401
from app.registration.models import Place, PlaceStatus, Registration

STARTS = datetime(2026, 8, 24, 4, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(hours=2)
OPENS = STARTS - timedelta(minutes=30)  # the series opens check-in 30 minutes before


@pytest.fixture(autouse=True)
def bare_app():
    app = Flask(__name__)
    app.config["CHECKIN_SYNC_GRACE_HOURS"] = 12
    with app.app_context():
        yield


def door(*, org_id=1, series_id=10, session_format=SessionFormat.venue, cancelled=False):
    series = Series(id=series_id, org_id=org_id, checkin_opens_minutes=30)
    status = SessionStatus.cancelled if cancelled else SessionStatus.scheduled
    return Session(
        id=100, series=series, series_id=series_id, starts_at=STARTS, ends_at=ENDS,
        format=session_format, status=status,
    )  # fmt: skip


def person(*, org_id=1, series_id=10, status=PlaceStatus.confirmed, mode=Mode.venue):
    series = Series(id=series_id, org_id=org_id, checkin_opens_minutes=30)
    registration = Registration(id=7, series=series, series_id=series_id)
    place = Place(session_id=100, mode=mode, status=status) if status else None
    return registration, place


def test_a_confirmed_place_in_the_window_admits():
    registration, place = person()
    assert reject_reason(door(), registration, place, STARTS) is None
    assert reject_reason(door(), registration, place, OPENS) is None
    assert reject_reason(door(), registration, place, ENDS) is None
    online, place = person(mode=Mode.online)  # registered online, came to the venue: let in
    assert reject_reason(door(), online, place, STARTS) is None


def test_the_window():
    registration, place = person()
    early = OPENS - timedelta(seconds=1)
    assert reject_reason(door(), registration, place, early) is Reason.too_early
    late = ENDS + timedelta(seconds=1)
    assert reject_reason(door(), registration, place, late) is Reason.closed


def test_the_session():
    registration, place = person()
    online = door(session_format=SessionFormat.online)
    assert reject_reason(online, registration, place, STARTS) is Reason.no_venue
    hybrid = door(session_format=SessionFormat.hybrid)
    assert reject_reason(hybrid, registration, place, STARTS) is None
    cancelled = door(cancelled=True)
    assert reject_reason(cancelled, registration, place, STARTS) is Reason.session_cancelled
    # a cancelled session says so before the window does
    late = ENDS + timedelta(days=1)
    assert reject_reason(cancelled, registration, place, late) is Reason.session_cancelled


def test_another_organisation_is_refused_before_anything_of_the_person_is_looked_at():
    registration, place = person(org_id=2, series_id=20, status=None)
    assert reject_reason(door(), registration, place, STARTS) is Reason.other_org
    assert reject_reason(door(cancelled=True), registration, place, STARTS) is Reason.other_org


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (PlaceStatus.confirmed, None),
        (PlaceStatus.cancelled, Reason.cancelled),
        (PlaceStatus.waitlisted, Reason.waitlisted),
        (PlaceStatus.applied, Reason.not_confirmed),
    ],
)
def test_the_place(status, reason):
    registration, place = person(status=status)
    assert reject_reason(door(), registration, place, STARTS) is reason


def test_no_place():
    registration, _ = person(status=None)
    assert reject_reason(door(), registration, None, STARTS) is Reason.not_registered
    other, _ = person(series_id=11, status=None)  # same organisation, another series
    assert reject_reason(door(), other, None, STARTS) is Reason.other_series


def test_an_offline_scan_must_arrive_by_the_sync_deadline():
    registration, place = person()
    deadline = ENDS + timedelta(hours=12)
    assert reject_reason(door(), registration, place, STARTS, offline=True, now=deadline) is None
    too_late = deadline + timedelta(seconds=1)
    found = reject_reason(door(), registration, place, STARTS, offline=True, now=too_late)
    assert found is Reason.synced_too_late
    # a scan made at the door (not queued) is judged by its time alone
    assert reject_reason(door(), registration, place, STARTS, now=too_late) is None
    # the window says first: a queued scan from before it opened is too early, not too late
    early = OPENS - timedelta(minutes=1)
    found = reject_reason(door(), registration, place, early, offline=True, now=too_late)
    assert found is Reason.too_early
