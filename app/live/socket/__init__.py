"""The live room's Socket.IO server: namespace `/live`, attached to the Flask app.

Connecting
    `io("/live")` from the same origin carries the Flask-Login session cookie; other clients
    pass `auth={"token": "<API token>"}` (a token, when sent, must be valid). Refused
    connections get `connect_error` with `message` "authentication_required" and
    `data` {code, message}. Only the app's own origin (and BASE_URL) may connect. There is no
    connection-state recovery: after every reconnect the client emits `join` again and
    replaces its state with the snapshot.

Acknowledgements and errors
    Every event below is acknowledged with `{"ok": true, ...}` or
    `{"error": {"code", "message", "fields"?}}`; a refused event also sends an `error` event
    `{"event", "code", "message", "fields"?}` to that socket (show the person one of the two,
    not both), and changes nothing. Unknown events, payloads that are not an object, wrong
    types, oversized text, control characters and lone surrogates are refused this way (codes:
    validation_error, invalid_json, unknown_event, not_joined, not_found, forbidden,
    not_registered_online, room_closed, muted, conflict, rate_limited, server_error). A message
    over 64 KB closes the socket.
    A socket acts only on the room it joined, with the role it was admitted with (checked
    again every 30 s: a cancelled registration or a closed room ends it). Every event spends
    from a budget per person (all tabs and processes together): `chat` and `ask` together about
    5 per 10 s, `join`, `leave` and `heartbeat` 20 a minute, the others 30 per 10 s; beyond it
    they are refused with rate_limited.
    A socket lives as long as what it was opened with: logging out or a new password (for a
    session cookie) and revoking the token (for a token) close it, in every process; each event
    checks it again, and a socket found ended gets authentication_required and is closed.

Client -> server (payload -> extra ack fields)
    join {session_id}               -> state: the snapshot (session, me, stream, chat[],
                                       questions[], polls[], announcement, presence).
                                       Joining another room leaves the previous one.
    leave {}                        -> -
    heartbeat {}                    -> -        (optional; the server refreshes every 30 s)
    chat {text}                     -> message: the message as its author sees it
    chat_delete {id}                -> -        organisers only
    mute {user_id, muted}           -> user_id, muted   organisers only
    hide_name {hide}                -> hide_name
    ask {text, anonymous?}          -> question: as its author sees it
    upvote {question_id}            -> id, votes (once per person: conflict after that)
    question_answered {id, answered?=true} -> -   organisers only
    question_hide {id}              -> -        organisers only
    poll_create {question, options[], multiple?} -> poll    organisers only (a draft)
    poll_open {id} / poll_close {id} -> poll    organisers only; one poll is open at a time
    poll_vote {id, choices[]}       -> poll: with my_choices (voting again replaces)
    announce {text}                 -> announcement: text, or null ("" clears the banner)

Server -> client
    chat {id, user, text, at}       user = {id, name, hidden?}; {id: null, name: 参加者} when
                                    the author hides their name from participants
    chat_deleted {id}
    muted {user_id, muted}          to organisers and to the muted person's sockets
    question {id, user, text, votes, answered, anonymous, voted: false, at}
    question_votes {id, votes}
    question_answered {id, answered}
    question_hidden {id}
    poll {id, question, options, multiple, status, results}  drafts go to organisers only
    poll_results {id, results: {voters, counts[]}}  coalesced: at most ~2 per second
    announcement {text}             null when cleared
    presence {count, people: [user]}  coalesced: at most one every 2 s per room
    error {event, code, message, fields?}

Names are built per audience: organisers receive every name; everyone else receives what a
participant may see. A person's own hidden chat message or anonymous question therefore
arrives in the broadcast as 参加者/匿名, and the acknowledgement carries the same item with
their name: clients upsert items by `id` (a broadcast may arrive before or after the ack of
the same item, and items of the join snapshot may repeat in broadcasts).

Time in the room: `join` opens a presence interval for the socket, `leave` and disconnecting
close it. Every process vouches for its sockets every LIVE_HEARTBEAT_SECONDS (30) and ends
intervals silent for three beats at their last sign of life (a crashed or killed process).
With REDIS_URL set, broadcasts and the rate limit go through Redis (channel LIVE_CHANNEL), and
presence is read from the database, so every process counts everyone.
When Redis does not answer, the room degrades instead of failing: messages are still stored and
reach the sockets of the sender's own process, the `chat` and `ask` acks then carry
`warning: {code: "live_degraded", message}` (the others see the item when they join again), and
the rate limit counts per process; once Redis is back the processes hear each other again
within a few seconds (app/live/fanout.py).

Text is stored and sent exactly as typed (trimmed). The page must insert every text and name
with `textContent` (never innerHTML): the server does not HTML-escape.

Each event is one unit of work: it commits once, and what it broadcasts leaves after that
commit (an event refused or failing half-way stores nothing and sends nothing).

The code: server.py (the server, connecting and the guard around every event, the upkeep
loop), handlers.py (the events above), broadcast.py (rooms, audiences, coalescing, the room
view joiners share), budgets.py (the rate limits), unit.py (one unit of work per event);
app/live/delivery.py frames each broadcast once for all its recipients. The room's rules are
app/live/services.py, its payloads app/live/payloads.py.
"""

from app.live.socket.broadcast import NAMESPACE, room_name, sessions_room, token_room
from app.live.socket.server import LiveSocket, attach_socket_server

__all__ = [
    "NAMESPACE",
    "LiveSocket",
    "attach_socket_server",
    "room_name",
    "sessions_room",
    "token_room",
]
