"""関わり証明 (the person's yearly record, its files and verification links) and the public
verification page, for the authorization matrix. Everyone logged in has their own record (an
empty one for those who took part in nothing); a link belongs to the participant only."""

from app.accounts.models import User
from app.attendance.figures import fiscal_year_of
from app.core.types import utcnow
from app.extensions import db
from app.records import services
from tests.security.matrix import API_USER, PUBLIC, USER, everyone
from tests.security.routes_events import organizers

OWN_LINK = {**everyone(404), "anonymous": 302, "participant": 302}
LOGGED_IN_404 = {**everyone(404), "anonymous": 302}

ROWS = [
    ("records.current", "GET", "/me/records", None, everyone(302)),
    ("records.record", "GET", "/me/records/{rec_year}", None, USER),
    ("records.record", "GET", "/me/records/1999", None, LOGGED_IN_404),
    ("records.record_pdf", "GET", "/me/records/{rec_year}.pdf", None, USER),
    ("records.record_json", "GET", "/me/records/{rec_year}.json", None, USER),
    ("records.record_csv", "GET", "/me/records/{rec_year}.csv", None, USER),
    ("records.choose", "POST", "/me/records/{rec_year}/orgs", {"org_id": "x"}, everyone(302)),
    ("records.create_link", "POST", "/me/records/{rec_year}/links", {}, everyone(302)),
    # the holder shares the address: whoever has it sees the record (before it is withdrawn)
    ("records.verify", "GET", "/records/{rec_code}", None, PUBLIC),
    ("records.verify", "GET", "/records/not-a-code", None, everyone(404)),
    ("records.withdraw_link", "POST", "/me/records/links/{rec_link}/withdraw", {}, OWN_LINK),
    # the organisation's list of people with N activities (who agreed at registration)
    ("records_org.people", "GET", "/orgs/{org}/records", None, organizers(200)),
    ("records_org.people", "GET", "/orgs/{org}/records?year=abc", None, organizers(422)),
    ("records_org.settings", "POST", "/orgs/{org}/records/settings", {"min_activities": "0"},
     organizers(302)),
]  # fmt: skip

API_ROWS = [
    ("api_records.my_record", "GET", "/api/v1/me/records/{rec_year}", None, API_USER),
    ("api_records.my_record", "GET", "/api/v1/me/records/1999", None,
     {**everyone(404), "anonymous": 401}),
    ("api_records.verify", "GET", "/api/v1/records/{rec_code}", None, everyone(200)),
    ("api_records.verify", "GET", "/api/v1/records/not-a-code", None, everyone(404)),
]  # fmt: skip


def targets(app, world):
    """The participant's record of this 年度 with one verification link."""
    with app.app_context():
        year = fiscal_year_of(utcnow())
        link = services.create_link(db.session.get(User, world["participant"]), year)
        db.session.commit()
        return {"rec_year": year, "rec_code": link.code, "rec_link": link.id}
