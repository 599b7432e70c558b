"""Surveys (事後アンケート): the organisers' pages, the respondent's link pages and the API, for
the authorization matrix.

`world`'s participant was sent the open survey (a recipient row), so the respondent's API
answers them; the organisers' actions that change a survey's state (close) use a second one.
The respondent's pages are public: the signed link is the key (a bad one: 400).
"""

from datetime import timedelta

from app.accounts.models import User
from app.core.types import utcnow
from app.extensions import db
from app.registration import services as reg
from app.surveys import services
from app.surveys.links import link_token
from app.surveys.models import AttendedAs, SurveyRecipient, SurveyStatus
from tests.registration.factories import make_series
from tests.security.matrix import everyone
from tests.security.routes_events import organizers

BASE = "/orgs/{org}/series/{sv_series}/surveys"
SURVEY = BASE + "/{sv_survey}"
LINK = "/surveys/r/{sv_token}"

ROWS = [
    ("surveys.series_surveys", "GET", BASE, None, organizers(200)),
    ("surveys.series_surveys", "GET", BASE + "?session_id=%00", None, organizers(200)),
    ("surveys.create", "POST", BASE, {"title": "", "target": "series"}, organizers(422)),
    ("surveys.survey", "GET", SURVEY, None, organizers(200)),
    # another organisation's survey through this organisation's address does not exist
    ("surveys.survey", "GET", "/orgs/{org}/series/{sv_foreign_series}/surveys/{sv_foreign}",
     None, organizers(404)),
    ("surveys.settings", "POST", SURVEY + "/settings", {"open_days": "0"}, organizers(422)),
    ("surveys.add_question", "POST", SURVEY + "/questions", {"kind": "text", "label": "x"},
     organizers(422)),  # sent: the questions no longer change
    ("surveys.edit_question", "POST", SURVEY + "/questions/{sv_question}", {"label": "x"},
     organizers(302)),
    ("surveys.remove_question", "POST", SURVEY + "/questions/{sv_question}/remove", {},
     organizers(302)),
    ("surveys.add_set", "POST", SURVEY + "/kakawari-set", {}, organizers(302)),
    ("surveys.send", "POST", SURVEY + "/send", {}, organizers(302)),
    ("surveys.remind", "POST", SURVEY + "/remind", {}, organizers(302)),
    ("survey_results.results_page", "GET", SURVEY + "/results", None, organizers(200)),
    ("survey_results.export_csv", "POST", SURVEY + "/responses.csv", {}, organizers(200)),
    ("survey_results.export_xlsx", "POST", SURVEY + "/responses.xlsx", {}, organizers(200)),
    ("surveys.close", "POST", BASE + "/{sv_other}/close", {}, organizers(302)),
    ("surveys_respond.respond", "GET", LINK, None, everyone(200)),
    ("surveys_respond.respond", "GET", "/surveys/r/forged.link", None, everyone(400)),
    ("surveys_respond.submit", "POST", LINK, {}, everyone(422)),  # the answer is required
    ("surveys_respond.thanks", "GET", LINK + "/thanks", None, everyone(200)),
]  # fmt: skip

RECIPIENT = {
    "anonymous": 401,
    "participant": 200,
    "staff": 403,
    "organizer": 200,
    "owner": 200,
    "other": 404,
    "admin": 404,
}
ORGANIZERS = {**RECIPIENT, "participant": 403}
ONLY_RECIPIENT = {
    "anonymous": 401,
    "participant": 200,
    "staff": 403,
    "organizer": 403,
    "owner": 403,
    "other": 403,
    "admin": 403,
}
API_ROWS = [
    ("api_surveys.survey_definition", "GET", "/api/v1/surveys/{sv_survey}", None, RECIPIENT),
    # sent: the settings that are left may change, but not to 0 days
    ("api_surveys.survey_settings", "PATCH", "/api/v1/surveys/{sv_survey}/settings",
     {"open_days": 0}, {**ORGANIZERS, "organizer": 422, "owner": 422}),
    ("api_surveys.survey_responses", "GET", "/api/v1/surveys/{sv_survey}/responses?page=1",
     None, ORGANIZERS),
    ("api_surveys.my_response", "GET", "/api/v1/surveys/{sv_survey}/my-response", None,
     ONLY_RECIPIENT),
    ("api_surveys.put_my_response", "PUT", "/api/v1/surveys/{sv_survey}/my-response",
     {"answers": {"0": 1}}, {**ONLY_RECIPIENT, "participant": 422}),
]  # fmt: skip


def _sent_survey(series, title, recipient: User):
    survey = services.create_survey(series, series.sessions[0], title)
    services.add_question(survey, "text", "ご感想", required=True)
    survey.status, survey.sent_at = SurveyStatus.open, utcnow()
    survey.closes_at = utcnow() + timedelta(days=14)
    db.session.add(
        SurveyRecipient(survey_id=survey.id, user_id=recipient.id, attended_as=AttendedAs.venue)
    )
    db.session.flush()
    return survey


def targets(app, world):
    with app.app_context():
        series = make_series(world["org"], title="アンケートのある講座")
        participant = db.session.get(User, world["participant"])
        reg.register(series, participant, mode="venue", consent=True)
        session = series.sessions[0]  # over: the survey went out
        session.starts_at = utcnow() - timedelta(hours=3)
        session.ends_at = session.starts_at + timedelta(hours=2)
        survey = _sent_survey(series, "事後アンケート", participant)
        other = _sent_survey(series, "閉じるアンケート", participant)
        foreign_series = make_series(world["other_org"], title="ほかの講座")
        foreign = services.create_survey(foreign_series, None, "ほかのアンケート")
        db.session.commit()
        return {
            "sv_series": series.id,
            "sv_survey": survey.id,
            "sv_question": survey.questions[0].id,
            "sv_other": other.id,
            "sv_foreign_series": foreign_series.id,
            "sv_foreign": foreign.id,
            "sv_token": link_token(survey.id, participant.id),
        }
