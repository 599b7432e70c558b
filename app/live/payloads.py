"""What a client of the live room sees: the snapshot on joining (or reconnecting), and each item
as one viewer may see it. The room's rules (services.py) decide what happens; these only read
and shape, for the socket's acks and broadcasts and for the room's page.

Names are shown to the people allowed to see them: a participant may hide their name from other
participants, and a question may be anonymous to them — never to the organisers.
"""

from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.events.models import Session
from app.extensions import db
from app.live import presence
from app.live.models import (
    Announcement,
    ChatMessage,
    LiveQuestion,
    Poll,
    PollVote,
    QuestionVote,
    RoomMember,
)
from app.live.services import Viewer

#: chat messages a client receives on joining
RECENT_CHAT = 50
#: the viewer of a room view: nobody in particular
_NOBODY = SimpleNamespace(id=None)


def stream_info(url: str) -> dict | None:
    """How the page shows the stream: a YouTube embed, or a link to Zoom/Jitsi/elsewhere."""
    if not url:
        return None
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    video = None
    if host.endswith("youtube.com"):
        video = parse_qs(parsed.query).get("v", [None])[0]
        if not video and parsed.path.startswith(("/live/", "/embed/")):
            video = parsed.path.split("/")[2]
    elif host == "youtu.be":
        video = parsed.path.lstrip("/")
    if video and video.replace("-", "").replace("_", "").isalnum():
        return {
            "kind": "youtube",
            "url": url,
            "embed_url": f"https://www.youtube-nocookie.com/embed/{video}",
        }
    kind = "zoom" if "zoom.us" in host else "jitsi" if "jit.si" in host else "link"
    return {"kind": kind, "url": url}


def room_members(session_id: int, user_ids=None) -> dict[int, RoomMember]:
    """Room standing (muted, hidden names) of everyone in the room, or of the people a payload
    shows (`user_ids`)."""
    query = select(RoomMember).where(RoomMember.session_id == session_id)
    if user_ids is not None:
        query = query.where(RoomMember.user_id.in_(list(user_ids)))
    return {m.user_id: m for m in db.session.scalars(query)}


def person(user: User | None, viewer: Viewer, members: dict, *, anonymous=False) -> dict:
    """How a person is shown to `viewer`."""
    if user is None:
        return {"id": None, "name": str(_l("Deleted user"))}
    hidden = anonymous or (members.get(user.id) is not None and members[user.id].hide_name)
    if hidden and not viewer.moderates and user.id != viewer.user.id:
        return {"id": None, "name": str(_l("Anonymous") if anonymous else _l("Participant"))}
    return {"id": user.id, "name": user.name, "hidden": hidden}


def chat_payload(message: ChatMessage, viewer: Viewer, members: dict) -> dict:
    return {
        "id": message.id,
        "user": person(message.user, viewer, members),
        "text": message.text,
        "at": message.created_at.isoformat(),
    }


def question_payload(q: LiveQuestion, viewer: Viewer, members: dict, voted=()) -> dict:
    return {
        "id": q.id,
        "user": person(q.user, viewer, members, anonymous=q.anonymous),
        "text": q.text,
        "votes": q.votes,
        "answered": q.answered_at is not None,
        "anonymous": q.anonymous,
        "voted": q.id in voted,
        "at": q.created_at.isoformat(),
    }


def poll_payload(poll: Poll, viewer: Viewer) -> dict:
    mine = db.session.get(PollVote, (poll.id, viewer.user.id))
    return {**_poll_state(poll), "my_choices": mine.choices if mine else []}


def _poll_state(poll: Poll) -> dict:
    return {
        "id": poll.id,
        "question": poll.question,
        "options": poll.options,
        "multiple": poll.multiple,
        "status": poll.status,
        "results": poll_results(poll),
    }


def poll_results(poll: Poll) -> dict:
    counts = [0] * len(poll.options)
    voters = 0
    for choices in db.session.scalars(select(PollVote.choices).where(PollVote.poll_id == poll.id)):
        voters += 1
        for c in choices:
            if 0 <= c < len(counts):
                counts[c] += 1
    return {"voters": voters, "counts": counts}


#: participants see this many names of who is here (by ふりがな) and the count of the rest;
#: organisers see everyone. A full room is a thousand people, and the list goes to each of them
#: whenever someone comes or goes (30 names: about 1.5 KB a person, 1.5 MB a broadcast).
PEOPLE_LISTED = 30


def presence_payload(session: Session, viewer: Viewer, members=None) -> dict:
    members = members if members is not None else room_members(session.id)
    here = presence.present_users(session.id).subquery()
    count = db.session.scalar(select(func.count()).select_from(here))
    # ids and names only, at most PEOPLE_LISTED for participants
    query = select(User.id, User.name).where(User.id.in_(select(here))).order_by(User.furigana)
    if not viewer.moderates:
        query = query.limit(PEOPLE_LISTED)
    users = db.session.execute(query).all()
    return {
        "count": count,
        "people": [person(u, viewer, members) for u in users],
        "more": count - len(users),
    }


@dataclass(frozen=True)
class Standing:
    """A person's standing in a room as payloads use it, kept apart from the database row (a
    room view outlives the transaction that read it)."""

    hide_name: bool
    muted: bool


@dataclass
class RoomView:
    """What everyone of one audience sees on joining a room, read once: a thousand people joining
    within seconds share it (app/live/socket/broadcast.py keeps it until the room changes).
    `snapshot` adds what is each person's own."""

    session: dict
    stream: dict | None
    chat: list[dict]
    questions: list[dict]
    polls: list[dict]
    announcement: str | None
    #: user id -> Standing, for the people with one (muted or hiding their name)
    members: dict
    #: author id -> [(list name, index, the author as they see themselves)] for the items that
    #: hide their author from this audience (a person sees their own name on their own items)
    own: dict


def _standings(session_id: int) -> dict[int, Standing]:
    return {
        user_id: Standing(m.hide_name, m.muted_at is not None)
        for user_id, m in room_members(session_id).items()
    }


def room_view(session: Session, audience: Viewer) -> RoomView:
    """The room as `audience` (a viewer who is nobody in particular: organisers or everyone
    else) sees it on joining: a few queries, none per item."""
    members = _standings(session.id)
    chat = db.session.scalars(
        select(ChatMessage)
        .where(ChatMessage.session_id == session.id, ChatMessage.deleted_at.is_(None))
        .order_by(ChatMessage.id.desc())
        .limit(RECENT_CHAT)
        .options(joinedload(ChatMessage.user))
    ).all()
    questions = db.session.scalars(
        select(LiveQuestion)
        .where(LiveQuestion.session_id == session.id, LiveQuestion.hidden_at.is_(None))
        .order_by(LiveQuestion.votes.desc(), LiveQuestion.id)
        .options(joinedload(LiveQuestion.user))
    ).all()
    polls = db.session.scalars(
        select(Poll)
        .where(
            Poll.session_id == session.id,
            Poll.status.in_(["open", "draft", "closed"] if audience.moderates else ["open"]),
        )
        .order_by(Poll.id)
    ).all()
    pinned = db.session.scalar(
        select(Announcement)
        .where(Announcement.session_id == session.id, Announcement.cleared_at.is_(None))
        .order_by(Announcement.id.desc())
    )
    view = RoomView(
        session={
            "id": session.id,
            "title": session.title,
            "series": session.series.title,
            "starts_at": session.starts_at.isoformat(),
            "ends_at": session.ends_at.isoformat(),
        },
        stream=stream_info(session.stream_url),
        chat=[chat_payload(m, audience, members) for m in reversed(chat)],
        questions=[question_payload(q, audience, members) for q in questions],
        polls=[_poll_state(p) for p in polls],
        announcement=pinned.text if pinned else None,
        members=members,
        own={},
    )
    for name, items, rows in (
        ("chat", view.chat, reversed(chat)),
        ("questions", view.questions, questions),
    ):
        for index, (item, row) in enumerate(zip(items, rows, strict=True)):
            if row.user is not None and item["user"]["id"] is None:  # hidden from this audience
                as_author = {"id": row.user.id, "name": row.user.name, "hidden": True}
                view.own.setdefault(row.user.id, []).append((name, index, as_author))
    return view


def snapshot(
    session: Session, viewer: Viewer, presence_now: dict | None = None, view: RoomView | None = None
) -> dict:
    """Everything a client needs on joining or reconnecting. `view` is the room as the viewer's
    audience sees it (read now when not given: a join storm shares one); what is the viewer's
    own is added here: their standing, their votes and choices, their name on their own items.
    `presence_now` is a presence payload the caller already has (a join storm reuses one)."""
    if view is None:
        view = room_view(session, _audience_of(viewer))
    me = view.members.get(viewer.user.id)
    chat, questions = view.chat, view.questions
    for name, index, as_author in view.own.get(viewer.user.id, ()):
        if name == "chat":
            chat = list(chat) if chat is view.chat else chat
            chat[index] = {**chat[index], "user": as_author}
        else:
            questions = list(questions) if questions is view.questions else questions
            questions[index] = {**questions[index], "user": as_author}
    voted = _voted(viewer, [q["id"] for q in questions])
    if voted:
        questions = [{**q, "voted": True} if q["id"] in voted else q for q in questions]
    choices = _my_choices(viewer, [p["id"] for p in view.polls])
    return {
        "session": view.session,
        "me": {
            "id": viewer.user.id,
            "name": viewer.user.name,
            "role": viewer.role.value,
            "muted": bool(me and me.muted),
            "hide_name": bool(me and me.hide_name),
        },
        "stream": view.stream,
        "chat": chat,
        "questions": questions,
        "polls": [{**p, "my_choices": choices.get(p["id"], [])} for p in view.polls],
        "announcement": view.announcement,
        "presence": presence_now or presence_payload(session, viewer, view.members),
    }


def _audience_of(viewer: Viewer) -> Viewer:
    return Viewer(_NOBODY, viewer.role)


def _voted(viewer: Viewer, question_ids: list[int]) -> set[int]:
    if not question_ids:
        return set()
    return set(
        db.session.scalars(
            select(QuestionVote.question_id).where(
                QuestionVote.user_id == viewer.user.id,
                QuestionVote.question_id.in_(question_ids),
            )
        )
    )


def _my_choices(viewer: Viewer, poll_ids: list[int]) -> dict[int, list]:
    if not poll_ids:
        return {}
    return dict(
        db.session.execute(
            select(PollVote.poll_id, PollVote.choices).where(
                PollVote.user_id == viewer.user.id, PollVote.poll_id.in_(poll_ids)
            )
        ).all()
    )
