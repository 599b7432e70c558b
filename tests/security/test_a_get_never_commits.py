"""A GET never commits (issue 17, one unit of work per request): every GET row of the
authorisation matrix, pages and API, as each kind of person who may read them, commits nothing
and sends no INSERT, UPDATE or DELETE to the database.

The matrix's world holds a session under way whose attendance is stale by then (a page used to
bring it up to date, and commit, before showing it), a completed series with its certificate,
and a registration of each kind. The only exceptions are listed in ALLOWED with their reason.
"""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, update

from app.accounts.models import ApiToken
from app.core.types import utcnow
from app.extensions import db
from tests.commits import commits  # noqa: F401 (fixture)
from tests.security.test_authorization_matrix import (  # noqa: F401 (fixture)
    API,
    PAGES,
    _api_token,
    _client_for,
    targets,
    world,
)

_VIEWED = "every view by a viewer (委託元) is a line in the viewed organisation's security log"
#: endpoint -> why that GET may still write
ALLOWED: dict[str, str] = {
    "programme.overview": _VIEWED,
    "programme.export_csv": _VIEWED,
    "programme.series": _VIEWED,
    "api_programme.programme": _VIEWED,
    "api_programme.series": _VIEWED,
}
ROLES = ("anonymous", "participant", "staff", "organizer", "viewer")
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


class Writes:
    """INSERT, UPDATE and DELETE statements the test's thread sends (a server or a job left
    running by an earlier test writes in threads of its own)."""

    def __init__(self):
        self.statements: list[str] = []
        self.thread = threading.get_ident()

    def __call__(self, _conn, _cursor, statement, *_args):
        if threading.get_ident() == self.thread and WRITE.match(statement):
            self.statements.append(statement.split("\n")[0][:80])


@pytest.fixture
def writes(app):
    found = Writes()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", found)
    yield found
    event.remove(engine, "before_cursor_execute", found)


def _wrote(commits, writes) -> str:  # noqa: F811
    if commits.edge or commits.after or writes.statements:
        return f"{commits.edge + commits.after} commit(s), {writes.statements}"
    return ""


def _time_passes(app):
    """Attendance of the session under way is older than any recomputation interval: nothing a
    page reads is up to date unless the page itself writes."""
    from app.attendance.models import SessionAttendance

    with app.app_context():
        stale = utcnow() - timedelta(minutes=10)
        db.session.execute(update(SessionAttendance).values(computed_at=stale))
        db.session.commit()


@pytest.mark.parametrize("role", ROLES)
def test_reading_any_page_writes_nothing(app, world, targets, commits, writes, role):  # noqa: F811
    _time_passes(app)
    client = _client_for(app, world, role)
    wrote = []
    read = 0
    for endpoint, method, path, _body, expected in PAGES:
        if method != "GET" or endpoint in ALLOWED:
            continue
        commits.reset()
        writes.statements.clear()
        response = client.get(path.format(**targets))
        assert response.status_code == expected[role], (endpoint, path)
        read += response.status_code == 200
        if found := _wrote(commits, writes):
            wrote.append(f"{endpoint} {path}: {found}")
    assert not wrote, f"{role}:\n" + "\n".join(wrote)
    assert read >= 5  # the walk reached pages, not only refusals


def _fresh_token(app, world, role) -> dict:  # noqa: F811
    """A token whose use was just recorded: its next stamp is minutes away (at most one write
    every few minutes, app.accounts.services.token_use_due), so the walk reads only."""
    secret = _api_token(app, world, role)
    with app.app_context():
        db.session.execute(
            update(ApiToken).where(ApiToken.user_id == world[role]).values(last_used_at=utcnow())
        )
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("role", ["participant", "staff", "organizer", "viewer"])
def test_reading_the_api_writes_nothing(app, world, targets, commits, writes, role):  # noqa: F811
    _time_passes(app)
    client = app.test_client()
    headers = _fresh_token(app, world, role)
    wrote = []
    for endpoint, method, path, _body, expected in API:
        if method != "GET" or endpoint in ALLOWED:
            continue
        commits.reset()
        writes.statements.clear()
        response = client.get(path.format(**targets), headers=headers)
        assert response.status_code == expected[role], (endpoint, path)
        if found := _wrote(commits, writes):
            wrote.append(f"{endpoint} {path}: {found}")
    assert not wrote, f"{role}:\n" + "\n".join(wrote)


def test_the_walk_sees_a_get_that_writes(app, world, targets, commits, writes, monkeypatch):  # noqa: F811
    """The control: with the certificate's download made a GET again (as it was), its first
    download is caught writing."""
    from sqlalchemy import delete

    from app.attendance import views
    from app.attendance.models import Certificate

    with app.app_context():
        db.session.execute(delete(Certificate))
        db.session.commit()
    monkeypatch.setitem(app.view_functions, "attendance.certificate_link", views.certificate_pdf)
    client = _client_for(app, world, "participant")
    commits.reset()
    writes.statements.clear()
    response = client.get(f"/me/certificates/{targets['hist_series']}.pdf")
    assert response.status_code == 200
    assert commits.edge == 1 and any(s.startswith("INSERT") for s in writes.statements)
