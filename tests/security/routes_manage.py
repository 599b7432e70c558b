"""Organiser pages of participants (lists, CSV, adding by hand, email, lottery), for the
authorization matrix."""

from app.accounts.models import User
from app.extensions import db
from app.registration import manage_services as manage
from app.registration import services as reg
from tests.registration.factories import make_series
from tests.security.routes_events import organizers

SERIES = "/orgs/{org}/series/{mg_series}"
SESSION = SERIES + "/sessions/{mg_session}"
LOTTERY = "/orgs/{org}/series/{mg_lottery}"
MESSAGE = {"subject": "ご案内", "body": "本文"}

ROWS = [
    ("manage.series", "GET", SERIES, None, organizers(200)),
    ("manage.participants", "GET", SERIES + "/participants", None, organizers(200)),
    ("manage.participants", "GET", SESSION + "/participants", None, organizers(200)),
    # the CSV is a POST (audited); an old link lands on the list
    ("manage.participants_csv_link", "GET", SERIES + "/participants.csv", None, organizers(302)),
    ("manage.participants_csv_link", "GET", SESSION + "/participants.csv", None,
     organizers(302)),
    ("manage.participants_csv", "POST", SERIES + "/participants.csv", {}, organizers(200)),
    ("manage.participants_csv", "POST", SESSION + "/participants.csv", {}, organizers(200)),
    ("manage.add_participant", "GET", SERIES + "/participants/new", None, organizers(200)),
    ("manage.add_participant", "POST", SERIES + "/participants/new", {}, organizers(422)),
    ("manage.claim_code", "POST", SERIES + "/participants/{mg_by_phone}/claim-code", {},
     organizers(200)),
    ("manage.claim_code", "POST", SERIES + "/participants/{mg_other_series_reg}/claim-code", {},
     organizers(404)),
    ("manage.send_message", "POST", SERIES + "/messages", MESSAGE, organizers(302)),
    ("manage.send_message", "POST", SESSION + "/messages", MESSAGE, organizers(302)),
    ("manage.lottery", "GET", LOTTERY + "/lottery", None, organizers(200)),
    ("manage.lottery", "POST", LOTTERY + "/lottery", {}, organizers(302)),
    ("manage.lottery", "GET", SERIES + "/lottery", None, organizers(404)),  # first come
]  # fmt: skip


def targets(app, world):
    """A first-come series the participant registered for, and a lottery series."""
    with app.app_context():
        participant = db.session.get(User, world["participant"])
        series = make_series(world["org"], title="名簿のある講座")
        reg.register(series, participant, mode="online", consent=True)
        lottery = make_series(world["org"], title="抽選の講座", selection="lottery")
        by_phone = manage.add_participant(
            series,
            db.session.get(User, world["organizer"]),
            {"name": "電話 太郎", "furigana": "でんわ たろう", "prefecture": "32", "relations": []},
            modes={series.sessions[0].id: "venue"},
            consent=True,
        )
        elsewhere = reg.register(lottery, participant, mode="online", consent=True)
        return {
            "mg_by_phone": by_phone.id,
            "mg_other_series_reg": elsewhere.id,
            "mg_series": series.id,
            "mg_session": series.sessions[0].id,
            "mg_lottery": lottery.id,
        }
