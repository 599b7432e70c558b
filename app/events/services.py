"""Series and sessions: the rules for creating, changing, publishing and cancelling them.

The rules live by idea in this package; this module gathers them, so other areas (and the
tests) keep one import, `from app.events import services as events`:
- series.py: a series, its publication, its cancellation and its questions;
- sessions.py: a session, its changes (what participants hear about) and its cancellation;
- queries.py: reading series and sessions for pages, and when a live room is open;
- rendering.py: organisers' Markdown as safe HTML;
- fields.py: reading one field of the input (plain dicts from a form or the API).
"""

from app.events.queries import (
    FOR_REGISTERING,
    get_series,
    get_session,
    org_series,
    public_series,
    room_window,
)
from app.events.rendering import render_markdown
from app.events.series import (
    cancel_series,
    create_series,
    publish_series,
    set_questions,
    update_series,
)
from app.events.sessions import add_session, cancel_session, update_session

__all__ = [
    "FOR_REGISTERING",
    "add_session",
    "cancel_series",
    "cancel_session",
    "create_series",
    "get_series",
    "get_session",
    "org_series",
    "public_series",
    "publish_series",
    "render_markdown",
    "room_window",
    "set_questions",
    "update_series",
    "update_session",
]
