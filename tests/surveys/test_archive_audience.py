"""A survey sent to the people who watched the session's archive (アーカイブ視聴): who gets it
(5 minutes of viewing, only when the organiser chose them; who attended live stays in their
live group), the results' archive group, the option fixed once sent, and the API."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.archive.models import ArchiveViewing
from app.core.types import utcnow
from app.events.models import Series
from app.extensions import db
from app.surveys import respond, services
from app.surveys.errors import SurveyLocked
from app.surveys.models import AttendedAs, Survey, SurveyRecipient
from app.surveys.results import results
from tests.conftest import login, post_form
from tests.surveys.conftest import mails_to, make_survey
from tests.surveys.test_api import _token

BASE = "/orgs/{org}/series/{series}/surveys"


def _watched(session_id, user_id, seconds):
    now = utcnow()
    db.session.add(
        ArchiveViewing(session_id=session_id, user_id=user_id, seconds=seconds,
                       first_at=now - timedelta(seconds=seconds), last_at=now)
    )  # fmt: skip


@pytest.fixture
def watched(app, finished):
    """`finished`, and archive viewing: absent 6 minutes (an archive viewer), excused 4:59
    (not), venue 30 minutes and partial 10 minutes (both attended live)."""
    _series_id, session_id, people = finished
    with app.app_context():
        _watched(session_id, people["absent"], 6 * 60)
        _watched(session_id, people["excused"], 5 * 60 - 1)
        _watched(session_id, people["venue"], 30 * 60)
        _watched(session_id, people["partial"], 10 * 60)
        db.session.commit()
    return finished


def _recipients(survey_id):
    rows = db.session.scalars(select(SurveyRecipient).where(SurveyRecipient.survey_id == survey_id))
    return {r.user_id: r.attended_as for r in rows}


def test_archive_viewers_are_left_out_unless_chosen(app, watched):
    series_id, session_id, people = watched
    with app.app_context():
        survey = make_survey(series_id, session_id)
        assert survey.to_archive is False
        services.send(survey)
        db.session.commit()
        assert _recipients(survey.id) == {
            people["venue"]: AttendedAs.venue, people["online"]: AttendedAs.online
        }  # fmt: skip
        assert mails_to(db.session.get(User, people["absent"]).email) == []


def test_archive_viewers_of_5_minutes_get_it_and_live_attendance_wins(app, watched):
    series_id, session_id, people = watched
    with app.app_context():
        survey = make_survey(series_id, session_id, archive=True)
        assert services.send(survey) == 3
        db.session.commit()
        # absent: 6 minutes of archive; excused: 4:59, too little; venue watched too but
        # attended at the venue; partial attended live (a group not chosen): never "archive"
        assert _recipients(survey.id) == {
            people["venue"]: AttendedAs.venue,
            people["online"]: AttendedAs.online,
            people["absent"]: AttendedAs.archive,
        }
        (mail,) = mails_to(db.session.get(User, people["absent"]).email)
        assert "/surveys/r/" in mail.body
        assert mails_to(db.session.get(User, people["excused"]).email) == []


def test_live_attendance_wins_over_archive_in_a_series_survey(app, watched):
    series_id, _session_id, people = watched
    with app.app_context():
        series = db.session.get(Series, series_id)
        survey = services.create_survey(series, None, "講座全体のアンケート")
        services.update_settings(survey, anonymous=False, to_venue=False, to_online=False,
                                 to_partial=True, to_archive=True, open_days=14)  # fmt: skip
        assert services.audience(survey) == {
            people["partial"]: AttendedAs.partial, people["absent"]: AttendedAs.archive
        }  # fmt: skip


def test_results_show_the_archive_group(app, world, watched):
    series_id, session_id, people = watched
    with app.app_context():
        survey = make_survey(series_id, session_id, archive=True, sets=False, text=False)
        services.send(survey)
        qid = survey.questions[0].id
        respond.submit(survey, people["absent"], {qid: [2]})
        respond.submit(survey, people["venue"], {qid: [0]})
        db.session.commit()
        found = results(survey)
        assert "archive" in found.groups and "partial" not in found.groups
        assert found.sent["archive"] == 1 and found.responded["archive"] == 1
        assert found.questions[0].options[2].counts["archive"] == 1
        assert not found.hidden("archive")  # named: nothing to hide
        survey_id = survey.id
    here = BASE.format(org=world["org"], series=series_id) + f"/{survey_id}"
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    html = client.get(f"{here}/results").get_data(as_text=True)
    row = html.split('data-testid="rate-archive"')[1].split("</tr>")[0]
    assert "アーカイブ視聴" in row and "100%" in row
    cell = html.split(f'data-testid="cell-{qid}-2-archive"')[1].split("</td>")[0]
    assert "1" in cell
    body = post_form(client, f"{here}/responses.csv", token_from=f"{here}/results").get_data()
    assert "アーカイブ視聴" in body.decode("utf-8-sig")


def test_an_anonymous_surveys_small_archive_group_is_hidden(app, world, watched):
    series_id, session_id, people = watched
    with app.app_context():
        survey = make_survey(series_id, session_id, anonymous=True, archive=True, sets=False,
                             text=False)  # fmt: skip
        services.send(survey)
        qid = survey.questions[0].id
        respond.submit(survey, people["absent"], {qid: [2]})
        db.session.commit()
        assert results(survey).hidden("archive")
        survey_id = survey.id
    here = BASE.format(org=world["org"], series=series_id) + f"/{survey_id}"
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    html = client.get(f"{here}/results").get_data(as_text=True)
    cell = html.split(f'data-testid="cell-{qid}-2-archive"')[1].split("</td>")[0]
    assert "—" in cell


def test_the_settings_form_sets_the_option_and_it_is_fixed_once_sent(app, world, watched):
    series_id, session_id, _people = watched
    with app.app_context():
        survey = make_survey(series_id, session_id)
        survey_id = survey.id
    here = BASE.format(org=world["org"], series=series_id) + f"/{survey_id}"
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    assert "アーカイブを5分以上視聴した人" in client.get(here).get_data(as_text=True)
    saved = post_form(client, f"{here}/settings", {"privacy": "named", "audience": ["archive"],
                      "open_days": "14"}, token_from=here)  # fmt: skip
    assert saved.status_code == 302
    none = post_form(client, f"{here}/settings", {"privacy": "named", "open_days": "14"},
                     token_from=here)  # fmt: skip
    assert none.status_code == 422  # at least one group
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert survey.audience_keys == {"archive"}
        services.send(survey)
        db.session.commit()
        with pytest.raises(SurveyLocked):
            services.update_settings(survey, anonymous=False, to_venue=False, to_online=False,
                                     to_partial=False, to_archive=False, open_days=14)  # fmt: skip
    # sent: the disabled boxes are not sent; the option keeps its value
    kept = post_form(client, f"{here}/settings", {"open_days": "20"}, token_from=here)
    assert kept.status_code == 302
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert survey.to_archive is True and survey.open_days == 20


def test_the_api_shows_and_sets_the_option(app, world, watched):
    series_id, session_id, people = watched
    with app.app_context():
        survey_id = make_survey(series_id, session_id).id
        organizer, venue = _token(world["organizer"]), _token(people["venue"])
    client = app.test_client()
    url = f"/api/v1/surveys/{survey_id}"
    assert client.get(url, headers=organizer).json["to_archive"] is False
    changed = client.patch(f"{url}/settings", json={"to_archive": True}, headers=organizer)
    assert changed.status_code == 200, changed.json
    assert changed.json["to_archive"] is True and changed.json["to_venue"] is True
    nobody = {"to_venue": False, "to_online": False, "to_partial": False, "to_archive": False}
    refused = client.patch(f"{url}/settings", json=nobody, headers=organizer)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "validation_error"
    assert client.patch(f"{url}/settings", json=nobody, headers=venue).status_code == 403
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert survey.to_archive is True
        services.send(survey)
        db.session.commit()
        assert _recipients(survey_id)[people["absent"]] is AttendedAs.archive
    locked = client.patch(f"{url}/settings", json={"to_archive": False}, headers=organizer)
    assert locked.status_code == 409 and locked.json["error"]["code"] == "survey_locked"
    longer = client.patch(f"{url}/settings", json={"open_days": 30}, headers=organizer)
    assert longer.status_code == 200 and longer.json["to_archive"] is True
