"""An error page is written in a language even when the person's row cannot be read (the
database restarting while a scan arrives: the 503's message must not become a 500)."""

from flask import g
from sqlalchemy.exc import OperationalError

from app import select_locale


class _Unreadable:
    """A logged-in person whose row the database cannot give back."""

    @property
    def is_authenticated(self):
        raise OperationalError("SELECT users…", {}, ConnectionError("server closed"))


def test_the_visitors_language_answers_when_the_person_cannot_be_read(app):
    with app.test_request_context("/", headers={"Accept-Language": "en-GB,en;q=0.9"}):
        g._login_user = _Unreadable()
        assert select_locale() == "en"
    with app.test_request_context("/"):
        g._login_user = _Unreadable()
        assert select_locale() == "ja"
