"""The API keeps the promises of its own OpenAPI document: schemathesis generates requests for
every operation of /api/v1/openapi.json and runs them in-process against the app, as an
organiser of a seeded organisation. No answer may be a 5xx, and each answer must match the
status codes, content type and schema documented for it.

Bounded and deterministic: 25 examples per operation, derandomized.
"""

import tempfile

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st

from app import create_app
from app.accounts.models import User
from app.accounts.services import create_api_token
from app.extensions import db
from app.registration import services as reg
from tests.checkin.helpers import series_happening_now
from tests.conftest import TestConfig, create_user


def _documented_schema():
    """The OpenAPI document, as the app generates it (from the code, so any app will do)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/spec.db", INSTANCE_DIR=tmp
        )
        return app.test_client().get("/api/v1/openapi.json").json


class SessionApp:
    """A WSGI app forwarding to the test session's app (a fixture, so not there at import)."""

    target = None

    def __call__(self, environ, start_response):
        return self.target(environ, start_response)


schema = schemathesis.openapi.from_dict(_documented_schema())
schema.app = SessionApp()  # every call, including schemathesis's own probes, goes in-process

#: Ids of real rows, per path parameter, filled by the `seeded` fixture: half of the generated
#: requests use them, so the authorised code paths run too, not only the 404s.
KNOWN_IDS: dict[str, int] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    valid = isinstance(path_parameters, dict) and all(
        isinstance(v, int) and v >= 0 for v in path_parameters.values()
    )  # a deliberately invalid (negative) case stays invalid
    known = {k: KNOWN_IDS[k] for k in path_parameters if k in KNOWN_IDS} if valid else {}
    if not known:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, {**path_parameters, **known}])


@pytest.fixture
def seeded(app, world):
    """An open series of the organiser's organisation with a session whose check-in is open,
    a participant's registration, and the organiser's API token."""
    SessionApp.target = app
    with app.app_context():
        series = series_happening_now(world["org"])
        session = series.sessions[0]
        hanako = create_user("hanako@example.jp")
        registration = reg.register(series, hanako, mode="venue", consent=True)
        organiser = db.session.get(User, world["organizer"])
        spare, _ = create_api_token(organiser, "to be revoked by the fuzzer")
        db.session.commit()
        secret = create_api_token(organiser, "schemathesis")[1]
        db.session.commit()
        KNOWN_IDS.update(
            org_id=world["org"],
            series_id=series.id,
            session_id=session.id,
            registration_id=registration.id,
            token_id=spare.id,
        )
    yield {"Authorization": f"Bearer {secret}"}
    KNOWN_IDS.clear()


#: Not checked: whether every request the schema allows is accepted and every other one refused.
#: Our rules go beyond what the document can say (a non-blank title, closing after opening,
#: consent must be true, one of the 47 prefectures), and unknown query parameters or a
#: scanner's unreadable code are answered on purpose (the latter with a red verdict, 200).
LENIENCY_CHECKS = [
    schemathesis.checks.positive_data_acceptance,
    schemathesis.checks.negative_data_rejection,
]


@schema.parametrize()
@hypothesis.settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_matches_its_documentation(case, seeded):
    case.call_and_validate(headers=seeded, excluded_checks=LENIENCY_CHECKS)


def test_errors_of_nested_fields_keep_the_documented_shape(client):
    response = client.post("/api/v1/users", json={"relations": [{}]})
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert all(isinstance(messages, list) for messages in fields.values())
    assert fields["relations"] == ["文字列で指定してください。"]


def test_a_wrong_method_says_which_methods_are_allowed(client):
    response = client.open("/api/v1/auth/token", method="TRACE")
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]
