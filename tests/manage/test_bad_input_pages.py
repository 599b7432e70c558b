"""Nasty values in the participant pages' forms and filters: an answer, never a 500."""

import pytest

from tests.conftest import csrf_token, login
from tests.manage.helpers import populated_series
from tests.security.test_bad_input import NASTY_VALUES

FILTERS = ("q", "status", "mode", "prefecture", "session")


@pytest.mark.parametrize("value", NASTY_VALUES, ids=range(len(NASTY_VALUES)))
def test_participant_pages_survive_nasty_values(app, world, value):
    with app.app_context():
        series, _ = populated_series(world["org"])
        base = f"/orgs/{world['org']}/series/{series.id}"
        session = f"{base}/sessions/{series.sessions[0].id}"
        fields = [
            "name", "furigana", "prefecture", "relations", "email", "consent",
            *(f"mode_{s.id}" for s in series.sessions), *(f"q_{q.id}" for q in series.questions),
        ]  # fmt: skip
    client = app.test_client()
    login(client, "organizer@example.jp")
    token = csrf_token(client, "/account")
    query = dict.fromkeys(FILTERS, value)
    for url in (f"{base}/participants", f"{session}/participants"):
        assert client.get(url, query_string=query).status_code == 200, (url, value)
    csv_file = client.post(
        f"{base}/participants.csv", query_string=query, data={"csrf_token": token}
    )
    assert csv_file.status_code == 200, value
    message = {"subject": value, "body": value, "csrf_token": token}
    response = client.post(f"{base}/messages", query_string=query, data=message)
    assert response.status_code < 500
    add = {**dict.fromkeys(fields, value), "csrf_token": token}
    assert client.post(f"{base}/participants/new", data=add).status_code < 500
