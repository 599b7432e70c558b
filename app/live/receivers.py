"""The live room listens to accounts (which never imports it): a socket lives only as long as
the session or API token it was opened with."""

from app.accounts.signals import api_tokens_revoked, sessions_ended
from app.live.socket import sessions_room, token_room


@sessions_ended.connect
def _close_sockets_of_ended_sessions(app, user_id):
    _close(app, [sessions_room(user_id)])


@api_tokens_revoked.connect
def _close_sockets_of_revoked_tokens(app, user_id, token_ids):
    _close(app, [token_room(token_id) for token_id in token_ids])


def _close(app, rooms) -> None:
    live_socket = app.extensions.get("live_socket")
    if live_socket is not None:
        live_socket.close_sockets(rooms)
