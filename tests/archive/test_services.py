"""The archive's rules: the link, the window, who may watch, the one mail, viewing merged across
tabs and kept apart from live attendance, and the completion rule's archive option."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.archive import services
from app.archive.models import ArchiveInterval, ArchiveViewing
from app.attendance import certificates
from app.attendance import services as attendance
from app.attendance.models import Attendance, AttendanceStatus, Certificate
from app.core.errors import ValidationFailed
from app.core.types import utcnow
from app.events.models import Session
from app.extensions import db
from app.live.models import Connection
from app.mail.models import OutgoingMail
from tests.archive.conftest import URL, publish, series_of

NOW = utcnow


# --- the link -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind", "embed"),
    [
        ("https://www.youtube.com/watch?v=AbCdEfGhIjK&t=5", "youtube",
         "https://www.youtube-nocookie.com/embed/AbCdEfGhIjK"),
        ("https://youtu.be/AbCdEfGhIjK", "youtube",
         "https://www.youtube-nocookie.com/embed/AbCdEfGhIjK"),
        ("https://www.youtube.com/live/AbCdEfGhIjK", "youtube",
         "https://www.youtube-nocookie.com/embed/AbCdEfGhIjK"),
        ("https://vimeo.com/123456789", "vimeo", "https://player.vimeo.com/video/123456789"),
        ("https://vimeo.com/123456789/abcdef1234", "vimeo",
         "https://player.vimeo.com/video/123456789?h=abcdef1234"),
        ("https://player.vimeo.com/video/123456789?h=abcdef1234", "vimeo",
         "https://player.vimeo.com/video/123456789?h=abcdef1234"),
        (" https://files.example.jp/rec/第2回.mp4 ", "file", "https://files.example.jp/rec/第2回.mp4"),
    ],
)  # fmt: skip
def test_known_addresses_become_embeddable(url, kind, embed):
    assert services.normalise_url(url) == (kind, embed)


@pytest.mark.parametrize(
    "url",
    [
        "http://www.youtube.com/watch?v=AbCdEfGhIjK",  # not https
        "javascript:alert(1)",
        "ftp://files.example.jp/a.mp4",
        "https://example.jp/page.html",  # a page, not a video
        "https://vimeo.com/channels/staff",
        "https://www.youtube.com/watch?v=<script>",
        "https://user:pw@files.example.jp/a.mp4",
        "https://files.example.jp:99999/a.mp4",
        "",
        None,
        "https://x.jp/" + "a" * 600 + ".mp4",
    ],
)
def test_other_addresses_are_refused_with_a_message(url):
    with pytest.raises(ValidationFailed) as exc:
        services.normalise_url(url)
    assert "YouTube" in str(exc.value.fields["url"][0])


def test_an_archive_is_added_only_after_the_session_ended(app, finished):
    with app.app_context():
        session = db.session.get(Session, finished["session"])
        session.ends_at = NOW() + timedelta(minutes=5)
        db.session.commit()
        with pytest.raises(ValidationFailed):
            publish(finished["session"], finished["organizer"])


def test_days_are_checked(app, finished):
    with app.app_context():
        session = db.session.get(Session, finished["session"])
        actor = db.session.get(User, finished["organizer"])
        for days in (0, 366, "x", True):
            with pytest.raises(ValidationFailed) as exc:
                services.save(session, actor, {"url": URL, "days": days})
            assert "days" in exc.value.fields


# --- the window and who may watch ---------------------------------------------------------------


def _verdict(ids, who, now=None):
    archive = services.get_archive(ids["session"])
    return services.verdict(archive, services.place_of(ids["session"], ids[who]), now or NOW())


def test_the_default_window_is_14_days_from_publication(app, finished):
    with app.app_context():
        archive = publish(finished["session"], finished["organizer"])
        assert archive.available_until - archive.available_from == timedelta(days=14)
        assert _verdict(finished, "online") == "watch"
        assert _verdict(finished, "online", NOW() + timedelta(days=13)) == "watch"
        assert _verdict(finished, "online", NOW() + timedelta(days=14, minutes=1)) == "closed"
        assert _verdict(finished, "online", NOW() - timedelta(minutes=1)) == "not_yet"


def test_the_window_is_editable(app, finished):
    with app.app_context():
        publish(finished["session"], finished["organizer"])
        archive = publish(finished["session"], finished["organizer"], days=3)
        assert archive.available_until - archive.available_from == timedelta(days=3)
        assert _verdict(finished, "online", NOW() + timedelta(days=4)) == "closed"


def test_online_people_only_by_default_venue_people_when_allowed(app, finished):
    with app.app_context():
        publish(finished["session"], finished["organizer"])
        assert _verdict(finished, "online") == "watch"
        assert _verdict(finished, "venue") == "venue"
        assert _verdict(finished, "outsider") == "not_registered"
        assert [a.session_id for a in services.available_for(finished["venue"])] == []
        publish(finished["session"], finished["organizer"], venue_allowed=True)
        assert _verdict(finished, "venue") == "watch"
        assert [a.session_id for a in services.available_for(finished["venue"])] == [
            finished["session"]
        ]
        assert services.available_for(finished["outsider"]) == []


def test_an_unpublished_archive_is_for_nobody(app, finished):
    with app.app_context():
        publish(finished["session"], finished["organizer"], published=False)
        assert _verdict(finished, "online") == "none"
        assert services.available_for(finished["online"]) == []


# --- the mail -----------------------------------------------------------------------------------


def _mails():
    """The archive's mails (registering mailed the people before)."""
    return db.session.execute(
        select(OutgoingMail.recipient, OutgoingMail.subject).where(
            OutgoingMail.subject.contains("アーカイブ")
        )
    ).all()


def test_publishing_mails_the_people_who_may_watch_once(app, finished):
    with app.app_context():
        publish(finished["session"], finished["organizer"], published=False)
        assert _mails() == []  # saved, not published: no mail
        publish(finished["session"], finished["organizer"])
        mails = _mails()
        assert [m.recipient for m in mails] == ["participant@example.jp"]
        assert "アーカイブ" in mails[0].subject
        # edited, unpublished and published again, venue people now allowed: never again
        publish(finished["session"], finished["organizer"], days=7)
        publish(finished["session"], finished["organizer"], published=False)
        publish(finished["session"], finished["organizer"], venue_allowed=True)
        assert len(_mails()) == 1


def test_a_publication_rolled_back_sends_nothing(app, finished):
    with app.app_context():
        session = db.session.get(Session, finished["session"])
        actor = db.session.get(User, finished["organizer"])
        services.save(session, actor, {"url": URL, "published": True})
        db.session.rollback()
        assert _mails() == []
        assert services.get_archive(finished["session"]) is None


# --- viewing ------------------------------------------------------------------------------------


def _beat(ids, tab, at, who="online"):
    archive = services.get_archive(ids["session"])
    viewing = services.heartbeat(archive, db.session.get(User, ids[who]), tab, at)
    db.session.commit()
    return viewing.seconds


def test_two_tabs_count_once_and_a_gap_starts_a_new_interval(app, finished):
    with app.app_context():
        publish(finished["session"], finished["organizer"])
        t0 = NOW()
        # tab A: 0..120 s (a beat every 30 s); tab B overlaps it: 60..180 s
        for s in (0, 30, 60, 90, 120):
            _beat(finished, "tab-a-0001", t0 + timedelta(seconds=s))
        for s in (60, 90, 120, 150, 180):
            seconds = _beat(finished, "tab-b-0002", t0 + timedelta(seconds=s))
        assert seconds == 180  # the union, not 120 + 120
        # tab A comes back after 10 minutes hidden: a new interval, the gap not counted
        _beat(finished, "tab-a-0001", t0 + timedelta(seconds=780))
        assert _beat(finished, "tab-a-0001", t0 + timedelta(seconds=840)) == 240
        assert services.minutes_of(finished["online"], [finished["session"]]) == {
            finished["session"]: 4
        }
        assert db.session.scalar(select(func.count()).select_from(ArchiveInterval)) == 3
        assert services.figures([finished["session"]]) == {finished["session"]: (1, 4)}


def test_a_bad_tab_id_is_refused(app, finished):
    with app.app_context():
        publish(finished["session"], finished["organizer"])
        for tab in ("short", "x" * 65, "有効じゃない-tab", None, 12345678):
            with pytest.raises(ValidationFailed):
                _beat(finished, tab, NOW())


def _live(session) -> dict:
    records = db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    return {a.user_id: (a.status, a.online_seconds) for a in records}


def test_archive_viewing_never_changes_live_attendance(app, finished):
    with app.app_context():
        session = db.session.get(Session, finished["session"])
        attendance.finalize(session)
        db.session.commit()
        before = _live(session)
        assert before[finished["online"]] == (AttendanceStatus.absent, 0)
        publish(finished["session"], finished["organizer"])
        t0 = NOW()
        for s in range(0, 3601, 30):
            _beat(finished, "tab-a-0001", t0 + timedelta(seconds=s))
        attendance.recompute([session])
        db.session.commit()
        after = _live(session)
        assert after == before
        assert db.session.scalar(select(func.count()).select_from(Connection)) == 0
        assert db.session.get(ArchiveViewing, (session.id, finished["online"])).seconds == 3600


# --- the completion rule ------------------------------------------------------------------------


def _held_first_session(ids):
    """The participant was in the live room for all of the first session."""
    first = db.session.get(Session, ids["first"])
    db.session.add(
        Connection(
            session_id=first.id, user_id=ids["online"], sid="s1", process="t",
            joined_at=first.starts_at, last_seen_at=first.ends_at, left_at=first.ends_at,
        )
    )  # fmt: skip
    db.session.commit()
    attendance.recompute([first, db.session.get(Session, ids["session"])])
    db.session.commit()


def _watch(ids, minutes):
    t0 = NOW()
    for s in range(0, minutes * 60 + 1, 30):
        _beat(ids, "tab-a-0001", t0 + timedelta(seconds=s))


def test_archive_viewing_counts_only_when_the_series_says_so(app, finished):
    with app.app_context():
        _held_first_session(finished)
        publish(finished["session"], finished["organizer"])
        _watch(finished, 40)
        series = series_of(finished)
        found = attendance.progress(finished["online"], [series.id])[series.id]
        assert (found.attended, found.archive, found.completed) == (1, 0, False)  # off

        series.archive_counts_minutes = 45
        db.session.commit()
        found = attendance.progress(finished["online"], [series.id])[series.id]
        assert (found.attended, found.archive, found.completed) == (1, 0, False)  # too short

        series.archive_counts_minutes = 30
        db.session.commit()
        found = attendance.progress(finished["online"], [series.id])[series.id]
        assert (found.attended, found.archive, found.completed) == (2, 1, True)


def test_a_session_attended_live_is_not_counted_twice(app, finished):
    with app.app_context():
        _held_first_session(finished)
        series = series_of(finished)
        series.archive_counts_minutes = 1
        db.session.commit()
        # the archive of the first session, which the participant attended live
        publish(finished["first"], finished["organizer"])
        archive = services.get_archive(finished["first"])
        services.heartbeat(archive, db.session.get(User, finished["online"]), "tab-a-0001",
                           NOW())  # fmt: skip
        services.heartbeat(archive, db.session.get(User, finished["online"]), "tab-a-0001",
                           NOW() + timedelta(minutes=1))  # fmt: skip
        db.session.commit()
        found = attendance.progress(finished["online"], [series.id])[series.id]
        assert (found.attended, found.archive) == (1, 0)


def test_the_certificate_says_where_archive_viewing_counted(app, finished):
    with app.app_context():
        _held_first_session(finished)
        series = series_of(finished)
        series.archive_counts_minutes = 30
        db.session.commit()
        publish(finished["session"], finished["organizer"])
        _watch(finished, 31)
        person = db.session.get(User, finished["online"])
        certificate, found = certificates.issue(person, series)
        db.session.commit()
        assert certificate.sessions_attended == 2
        wording = certificates.attendance_text(certificate, found)
        assert wording == "全2回中2回（うちアーカイブ視聴 1 回）"
        pdf = certificates.certificate_pdf(certificate, found, "http://localhost/c/x")
        assert pdf.startswith(b"%PDF")
        # without archive viewing counted, no such note
        series.archive_counts_minutes = None
        db.session.commit()
        found = attendance.progress(person.id, [series.id])[series.id]
        assert found.archive == 0
        assert "アーカイブ" not in certificates.attendance_text(certificate, found)
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
