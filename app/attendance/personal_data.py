"""Everything Kakawari holds about one person, as one JSON document they can download
(APPI 開示請求 / GDPR Art. 15 and 20): profile, consent, registrations with answers, tickets,
check-ins, time in live rooms, attendance, certificates, messages they wrote, mails sent to them,
API tokens and memberships; and, through add_personal_data, what the areas above attendance
hold (surveys received and named answers, the 関わり証明's choices and links).

This area is downstream of every area it reads, so it reads their tables; it writes nothing.
Other people's personal data never enters the document (no staff names, no other guests).
Secrets are left out (ticket codes, token hashes, password hash): the document is meant to be
stored and handed on, and a leaked copy must not let anyone in or through the door.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import ApiToken, User
from app.archive.models import ArchiveViewing
from app.audit.models import AuditEvent
from app.checkin.models import CheckIn, Ticket
from app.events.models import Series
from app.extensions import db
from app.live.models import ChatMessage, Connection, LiveQuestion, PollVote
from app.mail.models import OutgoingMail
from app.orgs.models import Membership
from app.registration.models import Place, Registration

from .models import Attendance, Certificate

FORMAT_VERSION = 1

#: name -> fn(user) -> what an area above attendance holds about the person (surveys, the
#: 関わり証明), registered at app start: attendance never imports those areas
_MORE: dict[str, Callable[[User], object]] = {}


def add_personal_data(name: str, read: Callable[[User], object]) -> None:
    _MORE[name] = read


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _profile(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "furigana": user.furigana,
        "prefecture": user.prefecture,
        "relations": sorted(row.relation for row in user.relation_rows),
        "locale": user.locale,
        "created_at": _at(user.created_at),
        "consent": {"at": _at(user.consent_at), "version": user.consent_version},
    }


def _registrations(user: User) -> list[dict]:
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.user_id == user.id)
        .options(
            selectinload(Registration.series).selectinload(Series.questions),
            selectinload(Registration.series).selectinload(Series.org),
            selectinload(Registration.places).selectinload(Place.session),
        )
        .order_by(Registration.id)
    ).all()
    result = []
    for registration in registrations:
        series = registration.series
        labels = {str(q.id): q.label for q in series.questions}
        result.append(
            {
                "id": registration.id,
                "series": {"id": series.id, "title": series.title, "organisation": series.org.name},
                "status": str(registration.status),
                "source": registration.source,
                "created_at": _at(registration.created_at),
                "cancelled_at": _at(registration.cancelled_at),
                "consent_at": _at(registration.consent_at),
                "record_consent_at": _at(registration.record_consent_at),
                "answers": [
                    {"question": labels.get(str(key), str(key)), "answer": value}
                    for key, value in (registration.answers or {}).items()
                ],
                "places": [
                    {
                        "session": {
                            "id": place.session_id,
                            "title": place.session.title,
                            "starts_at": _at(place.session.starts_at),
                        },
                        "mode": str(place.mode),
                        "status": str(place.status),
                        "created_at": _at(place.created_at),
                        "confirmed_at": _at(place.confirmed_at),
                        "cancelled_at": _at(place.cancelled_at),
                    }
                    for place in sorted(registration.places, key=lambda p: p.session.starts_at)
                ],
            }
        )
    return result


def _tickets(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Ticket)
        .join(Registration, Ticket.registration_id == Registration.id)
        .where(Registration.user_id == user.id)
        .order_by(Ticket.id)
    ).all()
    return [
        {
            "registration_id": t.registration_id,
            "issued_at": _at(t.created_at),
            "revoked_at": _at(t.revoked_at),
        }
        for t in rows
    ]


def _checkins(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(CheckIn)
        .join(Registration, CheckIn.registration_id == Registration.id)
        .where(Registration.user_id == user.id)
        .order_by(CheckIn.checked_in_at)
    ).all()
    return [
        {
            "session_id": c.session_id,
            "checked_in_at": _at(c.checked_in_at),
            "source": c.source,
            "undone_at": _at(c.undone_at),
        }
        for c in rows
    ]


def _room_time(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Connection).where(Connection.user_id == user.id).order_by(Connection.joined_at)
    ).all()
    return [
        {
            "session_id": c.session_id,
            "joined_at": _at(c.joined_at),
            "last_seen_at": _at(c.last_seen_at),
            "left_at": _at(c.left_at),
        }
        for c in rows
    ]


def _archive_viewing(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(ArchiveViewing)
        .where(ArchiveViewing.user_id == user.id)
        .order_by(ArchiveViewing.first_at)
    )
    return [
        {"session_id": v.session_id, "seconds": v.seconds, "first_at": _at(v.first_at),
         "last_at": _at(v.last_at)}
        for v in rows
    ]  # fmt: skip


def _attendance(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Attendance).where(Attendance.user_id == user.id).order_by(Attendance.session_id)
    ).all()
    return [
        {
            "session_id": a.session_id,
            "mode": str(a.mode),
            "status": str(a.status),
            "online_minutes": a.online_seconds // 60,
            "checked_in_at": _at(a.checked_in_at),
            "corrected": a.override_status is not None,
            "correction_reason": a.override_reason or None,
        }
        for a in rows
    ]


def _certificates(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)
    ).all()
    return [
        {
            "series_id": c.series_id,
            "code": c.code,  # the public verification code printed on the certificate
            "name": c.name,
            "sessions_attended": c.sessions_attended,
            "issued_at": _at(c.issued_at),
            "revoked_at": _at(c.revoked_at),
        }
        for c in rows
    ]


def _written(user: User) -> dict:
    chat = db.session.scalars(
        select(ChatMessage).where(ChatMessage.user_id == user.id).order_by(ChatMessage.id)
    ).all()
    questions = db.session.scalars(
        select(LiveQuestion).where(LiveQuestion.user_id == user.id).order_by(LiveQuestion.id)
    ).all()
    votes = db.session.scalars(
        select(PollVote).where(PollVote.user_id == user.id).order_by(PollVote.created_at)
    ).all()
    return {
        "chat_messages": [
            {
                "session_id": m.session_id,
                "text": m.text,
                "at": _at(m.created_at),
                "deleted_at": _at(m.deleted_at),
            }
            for m in chat
        ],
        "questions": [
            {
                "session_id": q.session_id,
                "text": q.text,
                "anonymous": q.anonymous,
                "at": _at(q.created_at),
            }
            for q in questions
        ],
        "poll_votes": [
            {"poll_id": v.poll_id, "choices": v.choices, "at": _at(v.created_at)} for v in votes
        ],
    }


def _mails(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(OutgoingMail)
        .where(func.lower(OutgoingMail.recipient) == user.email.lower())
        .order_by(OutgoingMail.id)
    ).all()
    return [
        {
            "subject": m.subject,
            "body": m.body,
            "status": str(m.status),
            "queued_at": _at(m.created_at),
            "sent_at": _at(m.sent_at),
        }
        for m in rows
    ]


def _tokens(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    ).all()
    return [
        {
            "name": t.name,
            "prefix": t.prefix,
            "created_at": _at(t.created_at),
            "last_used_at": _at(t.last_used_at),
            "revoked_at": _at(t.revoked_at),
        }
        for t in rows
    ]


def _memberships(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Membership)
        .where(Membership.user_id == user.id)
        .options(selectinload(Membership.org))
        .order_by(Membership.id)
    ).all()
    return [
        {"organisation": m.org.name, "role": str(m.role), "since": _at(m.created_at)} for m in rows
    ]


def _security_log(user: User) -> list[dict]:
    """What the security log recorded about the person (their own logins, changes to them),
    without the other people involved."""
    rows = db.session.scalars(
        select(AuditEvent)
        .where((AuditEvent.subject_user_id == user.id) | (AuditEvent.actor_id == user.id))
        .order_by(AuditEvent.at)
    ).all()
    return [{"at": _at(e.at), "event": e.event, "ip": e.ip} for e in rows]


def personal_data(user: User, now: datetime) -> dict:
    """The whole document for `user`; read-only, a fixed number of queries."""
    return {
        "format": "kakawari-personal-data",
        "version": FORMAT_VERSION,
        "generated_at": _at(now),
        "profile": _profile(user),
        "memberships": _memberships(user),
        "registrations": _registrations(user),
        "tickets": _tickets(user),
        "checkins": _checkins(user),
        "live_room_visits": _room_time(user),
        "attendance": _attendance(user),
        "archive_viewing": _archive_viewing(user),
        "certificates": _certificates(user),
        **_written(user),
        "mails": _mails(user),
        "api_tokens": _tokens(user),
        "security_log": _security_log(user),
        **{name: read(user) for name, read in _MORE.items()},
    }
