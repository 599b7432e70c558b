"""The live room's events: each checks its payload, calls the room's rules (app/live/services.py)
and emits what payloads.py shapes of the result. Authentication, the budget, the one unit of
work (unit.py: written, committed, then sent) and turning errors into acks happen around every
handler (server.py: LiveSocket._guarded)."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.core.errors import ValidationFailed
from app.events.models import Session
from app.live import payloads, presence
from app.live import services as live
from app.live.models import Poll
from app.live.socket.broadcast import NAMESPACE, audience, room_name

# --- payload checks ----------------------------------------------------------------------------


def _fields(data) -> dict:
    if not isinstance(data, dict):
        raise ValidationFailed(_l("Send an object with the event's fields."))
    return data


def _id(data, key: str) -> int:
    value = _fields(data).get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise ValidationFailed(fields={key: [_l("Must be a number.")]})
    return value


def _flag(data, key: str, default: bool | None = None) -> bool:
    """A true/false field; without a default it must be sent."""
    value = _fields(data).get(key, default)
    if not isinstance(value, bool):
        raise ValidationFailed(fields={key: [_l("Must be true or false.")]})
    return value


@dataclass
class Actor:
    """Who sent an event, and the room their socket joined (when the event needs one)."""

    sid: str
    user: User
    session: Session | None = None
    viewer: live.Viewer | None = None


class RoomEvents:
    """LiveSocket's event handlers (server.py registers them and gives them `sio`, `joined`,
    `process` and the sending of broadcast.py)."""

    def events(self) -> dict:
        """event name -> (handler, whether the socket must have joined a room)"""
        return {
            "join": (self.join, False),
            "leave": (self.leave, False),
            "heartbeat": (self.heartbeat, True),
            "chat": (self.chat, True),
            "chat_delete": (self.chat_delete, True),
            "mute": (self.mute, True),
            "hide_name": (self.hide_name, True),
            "ask": (self.ask, True),
            "upvote": (self.upvote, True),
            "question_answered": (self.question_answered, True),
            "question_hide": (self.question_hide, True),
            "poll_create": (self.poll_create, True),
            "poll_open": (self.poll_open, True),
            "poll_close": (self.poll_close, True),
            "poll_vote": (self.poll_vote, True),
            "announce": (self.announce, True),
        }

    # --- joining -------------------------------------------------------------------------------

    def join(self, actor: Actor, data) -> dict:
        session = live.get_room_session(_id(data, "session_id"))
        viewer = live.admit(session, actor.user)
        current = self.joined.get(actor.sid, (None,))[0]
        if current is not None and current != session.id:
            self._leave(actor.sid)
        if current != session.id:
            # only a socket that was in a room before can continue an interval it left
            rejoin = actor.sid in self.been_in
            presence.connect(session.id, actor.user.id, actor.sid, self.process, rejoin=rejoin)
            # in the rooms before the snapshot is read, so nothing said meanwhile is missed
            rooms = [
                room_name(session.id, p) for p in (None, audience(viewer), f"user:{actor.user.id}")
            ]
            for room in rooms:
                self.sio.enter_room(actor.sid, room, namespace=NAMESPACE)
            self.current_work().undo.append(lambda: self._leave_rooms(actor.sid, rooms))
        # counted in once its presence row is committed (the upkeep vouches for what is here);
        # ids taken now: after the commit they would be read again
        sid, session_id, user_id = actor.sid, session.id, actor.user.id
        self.later(lambda: self._joined(sid, session_id, user_id, viewer, current))
        shared = self.shared_presence(session, viewer)
        view = self.room_view(session, viewer)
        return {"state": payloads.snapshot(session, viewer, shared, view)}

    def _joined(self, sid: str, session_id: int, user_id: int, viewer, before) -> None:
        if before != session_id:
            self.joined[sid] = (session_id, user_id)
            self.been_in.add(sid)
            self.presence_changed(session_id)
        with self.sio.session(sid, namespace=NAMESPACE) as state:
            state["session_id"] = session_id
            self.remember_admission(state, viewer)

    def _leave_rooms(self, sid: str, rooms) -> None:
        for room in rooms:
            self.sio.leave_room(sid, room, namespace=NAMESPACE)

    def leave(self, actor: Actor, data) -> None:
        self._leave(actor.sid)

    def _leave(self, sid: str) -> None:
        if sid in self.joined:
            presence.disconnect(sid, self.process)
            self._forget(sid)

    def _forget(self, sid: str) -> None:
        """This process's memory of a socket in a room: its rooms, `joined`, its state."""
        joined = self.joined.pop(sid, None)
        if joined is None:
            return
        session_id = joined[0]
        for room in self.sio.rooms(sid, namespace=NAMESPACE):
            if room.startswith(room_name(session_id)):
                self.sio.leave_room(sid, room, namespace=NAMESPACE)
        with self.sio.session(sid, namespace=NAMESPACE) as state:
            state["session_id"] = state["admitted"] = None
        self.presence_changed(session_id)

    def heartbeat(self, actor: Actor, data) -> None:
        presence.heartbeat([actor.sid], self.process)

    # --- chat and moderation -------------------------------------------------------------------

    def chat(self, actor: Actor, data) -> dict:
        text = _fields(data).get("text")
        message = live.post_chat(actor.session, actor.viewer, text)
        members = payloads.room_members(actor.session.id, [actor.user.id])
        self.to_audiences(
            actor.session.id, "chat", lambda v: payloads.chat_payload(message, v, members)
        )
        return {"message": payloads.chat_payload(message, actor.viewer, members)}

    def chat_delete(self, actor: Actor, data) -> None:
        message = live.delete_chat(actor.session, actor.viewer, _id(data, "id"))
        self.to_room(actor.session.id, "chat_deleted", {"id": message.id})

    def mute(self, actor: Actor, data) -> dict:
        user_id, muted = _id(data, "user_id"), _flag(data, "muted")
        live.set_muted(actor.session, actor.viewer, user_id, muted)
        payload = {"user_id": user_id, "muted": muted}
        for part in ("mods", f"user:{user_id}"):
            self.to_room(actor.session.id, "muted", payload, part)
        return payload

    def hide_name(self, actor: Actor, data) -> dict:
        member = live.set_hide_name(actor.session, actor.viewer, _flag(data, "hide"))
        session_id = actor.session.id
        self.presence_changed(session_id)
        self.later(lambda: self.room_changed(session_id))  # names on what they said
        return {"hide_name": member.hide_name}

    # --- Q&A -----------------------------------------------------------------------------------

    def ask(self, actor: Actor, data) -> dict:
        text, anonymous = _fields(data).get("text"), _flag(data, "anonymous", False)
        question = live.ask(actor.session, actor.viewer, text, anonymous)
        members = payloads.room_members(actor.session.id, [actor.user.id])
        self.to_audiences(
            actor.session.id,
            "question",
            lambda v: payloads.question_payload(question, v, members),
        )
        return {"question": payloads.question_payload(question, actor.viewer, members)}

    def upvote(self, actor: Actor, data) -> dict:
        question = live.upvote(actor.session, actor.viewer, _id(data, "question_id"))
        payload = {"id": question.id, "votes": question.votes}
        self.to_room(actor.session.id, "question_votes", payload)
        return payload

    def question_answered(self, actor: Actor, data) -> None:
        answered = _flag(data, "answered", True)
        question = live.mark_answered(actor.session, actor.viewer, _id(data, "id"), answered)
        self.to_room(
            actor.session.id, "question_answered", {"id": question.id, "answered": answered}
        )

    def question_hide(self, actor: Actor, data) -> None:
        question = live.hide_question(actor.session, actor.viewer, _id(data, "id"))
        self.to_room(actor.session.id, "question_hidden", {"id": question.id})

    # --- polls ---------------------------------------------------------------------------------

    def poll_create(self, actor: Actor, data) -> dict:
        fields = _fields(data)
        poll = live.create_poll(
            actor.session,
            actor.viewer,
            fields.get("question"),
            fields.get("options"),
            _flag(data, "multiple", False),
        )
        return {"poll": self._send_poll(actor, poll)}

    def poll_open(self, actor: Actor, data) -> dict:
        poll, closed = live.open_poll(actor.session, actor.viewer, _id(data, "id"))
        for other in closed:
            self._send_poll(actor, other)
        return {"poll": self._send_poll(actor, poll)}

    def poll_close(self, actor: Actor, data) -> dict:
        poll = live.close_poll(actor.session, actor.viewer, _id(data, "id"))
        return {"poll": self._send_poll(actor, poll)}

    def _send_poll(self, actor: Actor, poll: Poll) -> dict:
        """Broadcast a poll's state (drafts to organisers only); the actor's view is returned."""
        mine = payloads.poll_payload(poll, actor.viewer)
        state = {k: v for k, v in mine.items() if k != "my_choices"}
        self.to_room(actor.session.id, "poll", state, "mods" if poll.status == "draft" else None)
        return mine

    def poll_vote(self, actor: Actor, data) -> dict:
        poll = live.vote_poll(
            actor.session, actor.viewer, _id(data, "id"), _fields(data).get("choices")
        )
        self.poll_results_changed(poll)
        return {"poll": payloads.poll_payload(poll, actor.viewer)}

    # --- announcements -------------------------------------------------------------------------

    def announce(self, actor: Actor, data) -> dict:
        text = _fields(data).get("text")
        if not isinstance(text, str):
            raise ValidationFailed(fields={"text": [_l("Must be text.")]})
        pinned = live.announce(actor.session, actor.viewer, text)
        payload = {"text": pinned.text if pinned else None}
        self.to_room(actor.session.id, "announcement", payload)
        return {"announcement": payload["text"]}
