"""The rules of a live room: who may enter and when, chat, Q&A, polls, moderation and
announcements. Socket handlers only validate, call these, and emit what payloads.py shapes of
the result for each audience. These only flush: the socket event that calls them is one unit of
work and commits once (app/live/socket/unit.py). Where a second tab or process may insert the
same row at once, the insert is the event's first write, so rolling back on the conflict loses
nothing but reads.
"""

import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload

from app.accounts.models import User
from app.audit.services import record
from app.core.errors import (
    Conflict,
    Muted,
    NotFound,
    NotRegisteredOnline,
    PermissionDenied,
    RoomClosed,
    ValidationFailed,
)
from app.core.text import has_control_chars
from app.core.types import utcnow
from app.events.models import Mode, Session
from app.events.services import room_window
from app.extensions import db
from app.live.models import (
    Announcement,
    ChatMessage,
    LiveQuestion,
    Poll,
    PollVote,
    QuestionVote,
    RoomMember,
)
from app.orgs.models import Role
from app.orgs.services import membership
from app.registration.models import Place, PlaceStatus, Registration

CHAT_MAX = 1000
QUESTION_MAX = 500
ANNOUNCEMENT_MAX = 500
POLL_OPTIONS_MAX = 10


class RoomRole(enum.StrEnum):
    participant = "participant"
    organizer = "organizer"

    @property
    def moderates(self) -> bool:
        return self is RoomRole.organizer


@dataclass
class Viewer:
    user: User
    role: RoomRole

    @property
    def moderates(self) -> bool:
        return self.role.moderates


# --- entering ----------------------------------------------------------------------------------


def get_room_session(session_id) -> Session:
    session = (
        # the room never shows a venue: its venues are not loaded with it (Session.venues)
        db.session.get(
            Session, session_id, options=[joinedload(Session.series), lazyload(Session.venues)]
        )
        if isinstance(session_id, int)
        else None
    )
    if (
        session is None
        or Mode.online not in session.modes
        or session.series.status.value == "draft"
    ):
        raise NotFound(_l("There is no live room for this session."))
    return session


def admit(session: Session, user: User, now=None) -> Viewer:
    """The viewer's role in the room, or an error saying why they may not enter.
    Organisers and owners moderate at any time. Venue staff work at the door: the room (its
    names and chat) is not theirs, unless they hold an online place themselves."""
    now = now or utcnow()
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_l("Please log in."))
    m = membership(user, session.series.org_id)
    if m is not None and m.role.at_least(Role.organizer):
        return Viewer(user, RoomRole.organizer)
    place = db.session.scalar(
        select(Place)
        .join(Registration)
        .where(
            Place.session_id == session.id,
            Registration.user_id == user.id,
            Place.status == PlaceStatus.confirmed,
            Place.mode == Mode.online,
        )
    )
    if place is None:
        raise NotRegisteredOnline()
    if session.is_cancelled:
        raise RoomClosed(_l("This session has been cancelled."))
    opens, closes = room_window(session)
    if not opens <= now <= closes:
        raise RoomClosed()
    return Viewer(user, RoomRole.participant)


# --- input -------------------------------------------------------------------------------------


def clean_text(value, max_length: int, field: str = "text") -> str:
    if not isinstance(value, str):
        raise ValidationFailed(fields={field: [_l("Must be text.")]})
    text = value.strip()
    if not text:
        raise ValidationFailed(fields={field: [_l("Write something first.")]})
    if len(text) > max_length or has_control_chars(text.replace("\n", " ").replace("\t", " ")):
        raise ValidationFailed(fields={field: [_l("Use at most %(n)d characters.", n=max_length)]})
    return text


def _member(session: Session, user_id: int) -> RoomMember | None:
    return db.session.scalar(
        select(RoomMember).where(RoomMember.session_id == session.id, RoomMember.user_id == user_id)
    )


def _member_for_update(session: Session, user_id: int) -> RoomMember:
    member = _member(session, user_id)
    if member is None:
        member = RoomMember(session_id=session.id, user_id=user_id)
        db.session.add(member)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            member = _member(session, user_id)
    return member


def _require_moderator(viewer: Viewer) -> None:
    if not viewer.moderates:
        raise PermissionDenied(_l("Only organisers can do this."))


# --- chat --------------------------------------------------------------------------------------


def post_chat(session: Session, viewer: Viewer, text) -> ChatMessage:
    text = clean_text(text, CHAT_MAX)
    member = _member(session, viewer.user.id)
    if member is not None and member.muted_at is not None:
        raise Muted()
    message = ChatMessage(session_id=session.id, user_id=viewer.user.id, text=text)
    db.session.add(message)
    db.session.flush()
    return message


def delete_chat(session: Session, viewer: Viewer, message_id) -> ChatMessage:
    _require_moderator(viewer)
    message = db.session.get(ChatMessage, message_id) if isinstance(message_id, int) else None
    if message is None or message.session_id != session.id:
        raise NotFound()
    if message.deleted_at is None:
        message.deleted_at = utcnow()
        message.deleted_by_id = viewer.user.id
        record(
            "live.chat_deleted",
            actor=viewer.user,
            subject=message.user,
            org=session.series.org,
            session_id=session.id,
            message_id=message.id,
        )
        db.session.flush()
    return message


def set_muted(session: Session, viewer: Viewer, user_id, muted: bool) -> RoomMember:
    _require_moderator(viewer)
    if not isinstance(user_id, int) or db.session.get(User, user_id) is None:
        raise NotFound()
    member = _member_for_update(session, user_id)
    member.muted_at = utcnow() if muted else None
    member.muted_by_id = viewer.user.id if muted else None
    record(
        "live.muted" if muted else "live.unmuted",
        actor=viewer.user,
        subject=member.user,
        org=session.series.org,
        session_id=session.id,
    )
    db.session.flush()
    return member


def set_hide_name(session: Session, viewer: Viewer, hide: bool) -> RoomMember:
    member = _member_for_update(session, viewer.user.id)
    member.hide_name = bool(hide)
    db.session.flush()
    return member


# --- Q&A ---------------------------------------------------------------------------------------


def ask(session: Session, viewer: Viewer, text, anonymous=False) -> LiveQuestion:
    text = clean_text(text, QUESTION_MAX)
    member = _member(session, viewer.user.id)
    if member is not None and member.muted_at is not None:
        raise Muted()
    question = LiveQuestion(
        session_id=session.id, user_id=viewer.user.id, text=text, anonymous=bool(anonymous)
    )
    db.session.add(question)
    db.session.flush()
    return question


def _question(session: Session, question_id) -> LiveQuestion:
    q = db.session.get(LiveQuestion, question_id) if isinstance(question_id, int) else None
    if q is None or q.session_id != session.id or q.hidden_at is not None:
        raise NotFound()
    return q


def upvote(session: Session, viewer: Viewer, question_id) -> LiveQuestion:
    """One vote per person per question; the count is updated in the same transaction."""
    q = _question(session, question_id)
    db.session.add(QuestionVote(question_id=q.id, user_id=viewer.user.id))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_l("You have already voted for this question.")) from None
    db.session.execute(
        update(LiveQuestion).where(LiveQuestion.id == q.id).values(votes=LiveQuestion.votes + 1)
    )
    db.session.refresh(q)
    return q


def mark_answered(session: Session, viewer: Viewer, question_id, answered=True) -> LiveQuestion:
    _require_moderator(viewer)
    q = _question(session, question_id)
    q.answered_at = utcnow() if answered else None
    db.session.flush()
    return q


def hide_question(session: Session, viewer: Viewer, question_id) -> LiveQuestion:
    _require_moderator(viewer)
    q = _question(session, question_id)
    q.hidden_at = utcnow()
    record(
        "live.question_hidden",
        actor=viewer.user,
        org=session.series.org,
        session_id=session.id,
        question_id=q.id,
    )
    db.session.flush()
    return q


# --- polls -------------------------------------------------------------------------------------


def create_poll(session: Session, viewer: Viewer, question, options, multiple=False) -> Poll:
    _require_moderator(viewer)
    question = clean_text(question, 300, "question")
    if not isinstance(options, list) or not 2 <= len(options) <= POLL_OPTIONS_MAX:
        raise ValidationFailed(
            fields={"options": [_l("Give between 2 and %(n)d options.", n=POLL_OPTIONS_MAX)]}
        )
    cleaned = [clean_text(o, 100, "options") for o in options]
    if len(set(cleaned)) != len(cleaned):
        raise ValidationFailed(fields={"options": [_l("Options must differ.")]})
    poll = Poll(
        session_id=session.id,
        question=question,
        options=cleaned,
        multiple=bool(multiple),
        created_by_id=viewer.user.id,
    )
    db.session.add(poll)
    db.session.flush()
    return poll


def _poll(session: Session, poll_id) -> Poll:
    poll = db.session.get(Poll, poll_id) if isinstance(poll_id, int) else None
    if poll is None or poll.session_id != session.id:
        raise NotFound()
    return poll


def open_poll(session: Session, viewer: Viewer, poll_id) -> tuple[Poll, list[Poll]]:
    """Open a poll; one poll is open at a time, so any other open one closes. Returns the poll
    and the polls it closed."""
    _require_moderator(viewer)
    poll = _poll(session, poll_id)
    now = utcnow()
    closed = db.session.scalars(
        select(Poll).where(Poll.session_id == session.id, Poll.status == "open", Poll.id != poll.id)
    ).all()
    for other in closed:
        other.status, other.closed_at = "closed", now
    poll.status, poll.opened_at, poll.closed_at = "open", now, None
    db.session.flush()
    return poll, list(closed)


def close_poll(session: Session, viewer: Viewer, poll_id) -> Poll:
    _require_moderator(viewer)
    poll = _poll(session, poll_id)
    if poll.status == "open":
        poll.status, poll.closed_at = "closed", utcnow()
        db.session.flush()
    return poll


def vote_poll(session: Session, viewer: Viewer, poll_id, choices) -> Poll:
    """A person's answer to the open poll; answering again replaces their answer."""
    poll = _poll(session, poll_id)
    if poll.status != "open":
        raise Conflict(_l("This poll is not open."))
    if isinstance(choices, int) and not isinstance(choices, bool):
        choices = [choices]
    valid = isinstance(choices, list) and all(
        isinstance(c, int) and not isinstance(c, bool) and 0 <= c < len(poll.options)
        for c in choices
    )
    if not valid or not choices or len(set(choices)) != len(choices):
        raise ValidationFailed(fields={"choices": [_l("Choose from the options.")]})
    if not poll.multiple and len(choices) != 1:
        raise ValidationFailed(fields={"choices": [_l("Choose one option.")]})
    vote = db.session.get(PollVote, (poll.id, viewer.user.id))
    if vote is None:
        db.session.add(PollVote(poll_id=poll.id, user_id=viewer.user.id, choices=sorted(choices)))
    else:
        vote.choices = sorted(choices)
    try:
        db.session.flush()
    except IntegrityError:  # two tabs answering at once: the later answer wins
        db.session.rollback()
        vote = db.session.get(PollVote, (poll.id, viewer.user.id))
        vote.choices = sorted(choices)
        db.session.flush()
    return poll


# --- announcements -----------------------------------------------------------------------------


def announce(session: Session, viewer: Viewer, text) -> Announcement | None:
    """Pin a banner (empty text clears it)."""
    _require_moderator(viewer)
    now = utcnow()
    for current in db.session.scalars(
        select(Announcement).where(
            Announcement.session_id == session.id, Announcement.cleared_at.is_(None)
        )
    ):
        current.cleared_at = now
    pinned = None
    if isinstance(text, str) and text.strip():
        pinned = Announcement(
            session_id=session.id,
            created_by_id=viewer.user.id,
            text=clean_text(text, ANNOUNCEMENT_MAX),
        )
        db.session.add(pinned)
    db.session.flush()
    return pinned
