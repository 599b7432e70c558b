"""Participant pages of attendance (参加履歴, its downloads, 修了証) and the public certificate
check, for the authorization matrix."""

from app.accounts.models import User
from app.attendance import certificates
from app.events.models import Series
from app.extensions import db
from tests.attendance.test_history import completed_online_series
from tests.security.matrix import API_USER, PUBLIC, USER, everyone

#: the participant completed the series; everyone else has no certificate there (404)
GOING = {**everyone(302)}  # logged in: to 参加履歴; not logged in: to the login page
OWN_CERTIFICATE = {**everyone(404), "anonymous": 302, "participant": 200}

ROWS = [
    ("attendance.my_history", "GET", "/me/history", None, USER),
    ("attendance.my_history_csv", "GET", "/me/history.csv", None, USER),
    ("attendance.my_history_json", "GET", "/me/history.json", None, USER),
    ("attendance.my_data_json", "GET", "/me/data.json", None, USER),
    # a POST (the first download issues it); an old link lands on 参加履歴
    ("attendance.certificate_link", "GET", "/me/certificates/{hist_series}.pdf", None, GOING),
    ("attendance.certificate_pdf", "POST", "/me/certificates/{hist_series}.pdf", {},
     OWN_CERTIFICATE),
    # the holder shares the address: whoever has it may see the name and the facts
    ("attendance.verify_certificate", "GET", "/certificates/{hist_code}", None, PUBLIC),
    ("attendance.verify_certificate", "GET", "/certificates/not-a-code", None, everyone(404)),
]  # fmt: skip

API_ROWS = [
    ("api_history.my_history", "GET", "/api/v1/me/history", None, API_USER),
]


def targets(app, world):
    """A series the participant completed, and their certificate."""
    with app.app_context():
        participant = db.session.get(User, world["participant"])
        series = completed_online_series(world["org"], participant, sessions=1, attended=1)
        certificate, _progress = certificates.issue(participant, db.session.get(Series, series.id))
        db.session.commit()  # issue() flushes; the caller commits
        return {"hist_series": series.id, "hist_code": certificate.code}
