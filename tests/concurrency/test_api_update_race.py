"""Two organisers send the same change at the same instant with the same If-Match, against a real
server (gunicorn, gevent workers, PostgreSQL): exactly one is made, the other is told the
survey changed meanwhile (412), every time."""

import pytest

from app.extensions import db
from app.surveys import services as surveys
from app.surveys.models import Survey
from tests.concurrency.live import Call, LiveServer, make_stage, rush

ROUNDS = 5


@pytest.fixture(scope="module")
def server(live_db, tmp_path_factory):
    with LiveServer(live_db.url, tmp_path_factory.mktemp("server"), workers=2) as live:
        yield live


def _draft_survey(app, series_id: int) -> int:
    from app.events.models import Series

    with app.app_context():
        series = db.session.get(Series, series_id)
        survey = surveys.create_survey(series, series.sessions[0], "事後アンケート")
        db.session.commit()
        survey_id = survey.id
        db.session.remove()
    return survey_id


def _survey(app, survey_id: int) -> tuple[int, int]:
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        found = survey.version, survey.open_days
        db.session.remove()
    return found


def test_two_simultaneous_patches_with_one_if_match_make_exactly_one_change(server, live_app):
    stage = make_stage(live_app, 10)
    survey_id = _draft_survey(live_app, stage.series_id)
    path = f"/api/v1/surveys/{survey_id}/settings"
    for round_ in range(ROUNDS):
        version, _days = _survey(live_app, survey_id)
        etag = f'"{survey_id}.{version}"'
        calls = [
            Call("PATCH", path, stage.organiser.token, {"open_days": days}, {"If-Match": etag})
            for days in (20 + round_, 40 + round_)
        ]
        results = rush(server.port, calls)
        statuses = sorted(r.status for r in results)
        assert statuses == [200, 412], (statuses, [r.body for r in results], server.log()[-2000:])
        made = next(r for r in results if r.status == 200).body["open_days"]
        refused = next(r for r in results if r.status == 412).body["error"]
        assert refused["code"] == "precondition_failed"
        after, open_days = _survey(live_app, survey_id)
        assert open_days == made and refused["etag"] == f'"{survey_id}.{after}"'
