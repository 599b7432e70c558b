"""Nasty values in every organiser form of series, questions and sessions: an answer, never a
500 (PostgreSQL refuses NUL characters; a careless path would crash there)."""

import pytest

from tests.conftest import csrf_token, login
from tests.registration.factories import make_series
from tests.security.test_bad_input import NASTY_VALUES

SERIES_FIELDS = [
    "title", "description", "prefecture", "municipality", "registration_opens_at",
    "registration_closes_at", "scope", "selection", "waitlist_enabled",
    "completion_min_sessions", "online_threshold_percent", "checkin_opens_minutes",
    "privacy_notice",
]  # fmt: skip
SESSION_FIELDS = [
    "title", "starts_at", "ends_at", "format", "venues-0-id", "venues-0-name",
    "venues-0-address", "venues-0-map_url", "venues-0-capacity", "venues-0-remove",
    "venues-1-name", "venues-1-capacity", "add_venue", "online_capacity", "stream_url", "notes",
]  # fmt: skip
QUESTION_FIELDS = [
    f"questions-{i}-{f}"
    for i in (0, 1, 7)
    for f in ("id", "kind", "label", "options", "required", "show_at_checkin")
]


@pytest.mark.parametrize("value", NASTY_VALUES, ids=range(len(NASTY_VALUES)))
def test_series_and_session_forms_survive_nasty_values(app, world, value):
    with app.app_context():
        series = make_series(world["org"])
        base = f"/orgs/{world['org']}/series/{series.id}"
        session = f"{base}/sessions/{series.sessions[0].id}"
    client = app.test_client()
    login(client, "organizer@example.jp")
    token = csrf_token(client, "/account")
    forms = [
        (f"/orgs/{world['org']}/series/new", SERIES_FIELDS),
        (f"{base}/edit", SERIES_FIELDS),
        (f"{base}/questions", QUESTION_FIELDS),
        (f"{base}/sessions/new", SESSION_FIELDS),
        (f"{session}/edit", SESSION_FIELDS),
    ]
    for url, fields in forms:
        response = client.post(url, data={**dict.fromkeys(fields, value), "csrf_token": token})
        assert response.status_code < 500, (url, value)
