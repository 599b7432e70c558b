"""Property (Hypothesis): hostile values sent to every JSON operation of the OpenAPI document,
every form of the app and every event of the live room are answered with a 4xx (a socket: an
error with a code), never a 5xx or `server_error`; and a refused request adds or changes no row.

Hostile: lone surrogates, control characters, 10 MB strings (413), nesting beyond 32, extreme
numbers and dates, wrong types. Text that cannot be stored and JSON nested too deeply must be
refused wherever they arrive (the scanner's fields take control characters on purpose: they
answer a `rejected` verdict). Requests are made as an owner, so they reach validation; the path
ids are real rows. Bounded and deterministic: derandomized, a few examples per operation.

Builds on tests/api/test_api_schema.py (schemathesis checks the documented shapes with valid
and invalid data) and tests/security/test_authorization_matrix.py (every route with its ids).
"""

import hashlib
import json

import hypothesis
import pytest
from hypothesis import strategies as st
from sqlalchemy import select
from wtforms import FieldList, FormField
from wtforms.fields.core import UnboundField

from app.accounts.models import User
from app.accounts.services import create_api_token
from app.attendance import services as attendance
from app.attendance.models import Attendance
from app.audit.models import AuditEvent
from app.checkin import services as checkin
from app.core.forms import AppForm
from app.core.jsonbody import MAX_DEPTH
from app.core.text import unstorable
from app.events.models import Session
from app.extensions import db
from app.registration import services as reg
from app.surveys import services as surveys
from app.surveys.models import SurveyRecipient
from tests.api.test_api_schema import _documented_schema
from tests.attendance.helpers import past  # noqa: F401 -- a finished session with records
from tests.checkin.helpers import series_happening_now
from tests.conftest import create_user, csrf_token, login
from tests.live.test_socket import (  # noqa: F401 -- the live room's server and people
    _fresh_rate_limits,
    connect,
    joined,
    live_url,
    room,
)
from tests.security.test_authorization_matrix import PAGES, targets  # noqa: F401
from tests.surveys.conftest import make_survey

SETTINGS = hypothesis.settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)

# --- hostile values ------------------------------------------------------------------------------

SURROGATES = ["\ud800", "\udfff", "\udc00", "\ud83d"]  # halves of a pair, alone
CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f"]


def _poisoned(pieces):
    words = st.text(st.characters(codec="utf-8", categories=["L", "N", "Zs"]), max_size=4)
    return st.tuples(words, st.sampled_from(pieces), words).map("".join)


SURROGATE_TEXT = _poisoned(SURROGATES)
CONTROL_TEXT = _poisoned(CONTROLS)
EXTREME_NUMBERS = st.sampled_from(
    [2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**40, 1e308, -1e308, 5e-324, 0.5, -1, 0]
)
EXTREME_DATES = st.sampled_from(
    [
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00",
        "9999-12-31T23:59",
        "1970-01-01T00:00:00Z",
        "2100-12-31T23:59:60+09:00",
        "+275760-09-13T00:00:00Z",
        "2026-02-30T10:00:00+09:00",
    ]
)
WRONG_TYPES = st.one_of(
    st.sampled_from([None, True, False, [], {}, [[]], {"a": {"b": []}}, "", " "]),
    st.builds(lambda: "x" * 5000),
    st.builds(lambda: ["x"] * 300),
)


def nested(depth: int):
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value


TOO_DEEP = st.integers(MAX_DEPTH + 1, MAX_DEPTH + 100).map(nested)
SCALARS = st.one_of(
    SURROGATE_TEXT, CONTROL_TEXT, EXTREME_NUMBERS, EXTREME_DATES, WRONG_TYPES, TOO_DEEP
)
HOSTILE = st.one_of(
    SCALARS,
    st.lists(SCALARS, min_size=1, max_size=3),
    st.dictionaries(st.one_of(SURROGATE_TEXT, CONTROL_TEXT, st.just("x")), SCALARS, max_size=2),
)


def _texts(value):
    """Every string in a decoded JSON value, keys included."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _depth(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def must_be_refused(value, *, controls: bool = True) -> bool:
    """Whatever else the rules say, this value may never be accepted."""
    pieces = SURROGATES + (CONTROLS if controls else [])
    texts = list(_texts(value))
    return _depth(value) > MAX_DEPTH or any(p in t for t in texts for p in pieces)


# --- what a refused request may not change ------------------------------------------------------

#: written by any authenticated request, refused or not (the token's last use, throttled)
#: columns that move by themselves while a test runs: a token's last use, and the live room's
#: periodic beat marking open connections as seen
VOLATILE = {("api_token", "last_used_at"), ("live_connection", "last_seen_at")}


def snapshot(app) -> dict:
    """Row count and a hash of the rows of every table. The security log's failed logins are
    left out: a refused login is recorded on purpose. Fails when any row holds text that may
    never be stored (a control character other than tab and line breaks, a lone surrogate),
    whoever wrote it."""
    state = {}
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
            query = select(*columns)
            if table.name == AuditEvent.__tablename__:
                query = query.where(table.c.event != "auth.login_failed")
            rows = [tuple(row) for row in conn.execute(query)]
            stored = [t for row in rows for t in _texts(list(row)) if unstorable(t)]
            assert not stored, (table.name, stored[:3])
            lines = sorted(repr(row) for row in rows)
            state[table.name] = (len(rows), hashlib.sha256("\n".join(lines).encode()).hexdigest())
    return state


def changed(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


# --- the API -----------------------------------------------------------------------------------

DOCUMENT = _documented_schema()
#: fields where a scanner's text may hold control characters (answered with a verdict)
ANY_TEXT = {
    ("POST", "/api/v1/sessions/{session_id}/checkins"),
    ("POST", "/api/v1/sessions/{session_id}/checkins/sync"),
    ("GET", "/api/v1/sessions/{session_id}/checkins/search"),
}


def _schema(ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    if ref:
        return DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return ref_or_schema


def _operations():
    for path, item in DOCUMENT["paths"].items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            query = [p["name"] for p in params if p["in"] == "query"]
            fields = sorted(_schema(body["schema"]).get("properties", {})) if body else []
            if body or query:
                yield pytest.param(method.upper(), path, fields, query, id=f"{method} {path}")


OPERATIONS = list(_operations())


@pytest.fixture
def seeded(app, world, past):  # noqa: F811
    """Real rows for every path parameter, and an owner's token."""
    _series_id, finished_id, _people = past
    with app.app_context():
        attendance.compute_session(db.session.get(Session, finished_id))
        db.session.commit()  # services flush; the caller commits
        record = db.session.scalar(
            select(Attendance.id).where(Attendance.session_id == finished_id)
        )
        series = series_happening_now(world["org"])
        session = series.sessions[0]
        hanako = create_user("hanako@example.jp")
        registration = reg.register(series, hanako, mode="venue", consent=True)
        checked = checkin.decide(session, None, registration=registration, source="manual")
        db.session.commit()
        owner = db.session.get(User, world["owner"])
        spare, _ = create_api_token(owner, "a token the requests may name")
        db.session.commit()
        secret = create_api_token(owner, "hostile input")[1]
        db.session.commit()
        survey = make_survey(_series_id, finished_id, sets=False)
        surveys.send(survey)
        # the owner was sent it too: hostile answers reach the survey's own checks
        db.session.add(SurveyRecipient(survey_id=survey.id, user_id=owner.id, attended_as="venue"))
        db.session.commit()
        ids = {
            "org_id": world["org"],
            "series_id": series.id,
            "session_id": session.id,
            "registration_id": registration.id,
            "attendance_id": record,
            "checkin_id": checked.checkin.id if checked.checkin else 1,
            "token_id": spare.id,
            "survey_id": survey.id,
        }
    return ids, {"Authorization": f"Bearer {secret}"}


def _call(client, method, path, ids, headers, *, body=None, query=None):
    url = path.format(**ids)
    kwargs = {"headers": headers, "query_string": query}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return client.open(url, method=method, **kwargs)


def _body(fields):
    if not fields:
        return HOSTILE
    one_field = st.sampled_from(fields).flatmap(
        lambda name: st.fixed_dictionaries(
            {name: HOSTILE}, optional={other: HOSTILE for other in fields if other != name}
        )
    )
    return st.one_of(one_field, one_field, HOSTILE)  # mostly objects, sometimes anything


QUERY_VALUES = st.one_of(
    CONTROL_TEXT,
    EXTREME_DATES,
    EXTREME_NUMBERS.map(str),
    st.sampled_from(["", "%", "-1", "true", "null", "[]"]),
    st.builds(lambda: "x" * 5000),
)


@pytest.mark.parametrize(("method", "path", "fields", "query"), OPERATIONS)
def test_every_api_operation_refuses_hostile_values_without_writing(
    app, seeded, method, path, fields, query
):
    ids, headers = seeded
    client = app.test_client()
    controls = (method, path) not in ANY_TEXT

    @SETTINGS
    @hypothesis.given(
        body=_body(fields) if fields else st.none(),
        params=st.fixed_dictionaries({}, optional=dict.fromkeys(query, QUERY_VALUES)),
    )
    def check(body, params):
        before = snapshot(app)
        response = _call(client, method, path, ids, headers, body=body, query=params)
        status = response.status_code
        assert status < 500, (method, path, body, params, response.get_data(as_text=True)[:300])
        assert response.is_json and (status < 400 or response.json["error"]["code"])
        sent = [body, list(params.values())] if body is not None else list(params.values())
        if must_be_refused(sent, controls=controls):
            assert 400 <= status < 500, (method, path, body, params, response.json)
        if status >= 400:
            assert not changed(before, snapshot(app)), (method, path, body, params)

    check()


TEN_MB = json.dumps({"text": "x" * (10 * 1024 * 1024)})


def test_ten_megabytes_to_any_operation_is_413_and_changes_nothing(app, seeded):
    ids, headers = seeded
    client = app.test_client()
    before = snapshot(app)
    for method, path, fields, _query in (p.values for p in OPERATIONS):
        if not fields:
            continue
        response = client.open(
            path.format(**ids),
            method=method,
            data=TEN_MB,
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 413, (method, path)
        assert response.json["error"]["code"] == "payload_too_large"
    anonymous = app.test_client()
    page = anonymous.post("/signup", data={"name": "x" * (10 * 1024 * 1024)})
    assert page.status_code == 413
    assert not changed(before, snapshot(app))


# --- every form ---------------------------------------------------------------------------------


def _form_classes(cls=AppForm):
    for sub in cls.__subclasses__():
        yield sub
        yield from _form_classes(sub)


def _field_names(form_cls, prefix="") -> set[str]:
    names = set()
    for attr in dir(form_cls):
        field = getattr(form_cls, attr, None)
        if not isinstance(field, UnboundField):
            continue
        if field.field_class is FieldList and field.args:
            inner = field.args[0]
            if isinstance(inner, UnboundField) and inner.field_class is FormField:
                names |= _field_names(inner.args[0], f"{prefix}{attr}-0-")
            else:
                names.add(f"{prefix}{attr}-0")
        elif field.field_class is FormField:
            names |= _field_names(field.args[0], f"{prefix}{attr}-")
        else:
            names.add(prefix + attr)
    return names - {"csrf_token"}


#: who posts each form: the first of these the matrix lets in
POSTERS = ("owner", "organizer", "participant", "anonymous")
#: ending the session would leave the rest of the run logged out
NOT_FUZZED = {"accounts.logout"}


def _posting(app) -> set[str]:
    """The page routes that take POST."""
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith(("/api/", "/socket.io"))
    }


def _form_routes(posting: set[str]) -> dict:
    """Every page route taking POST, with the matrix's path and someone it lets in."""
    chosen = {}
    for endpoint, _method, path, _body, expected in PAGES:
        if endpoint not in posting or endpoint in NOT_FUZZED or endpoint in chosen:
            continue
        for wanted in (200, 302, 422):
            role = next((r for r in POSTERS if expected.get(r) == wanted), None)
            if role:
                chosen[endpoint] = (path, role)
                break
    return chosen


def test_every_page_taking_post_is_fuzzed_and_every_form_checks_its_text(app):
    posting = _posting(app)
    assert posting - NOT_FUZZED == set(_form_routes(posting))
    assert all(issubclass(cls, AppForm) for cls in _every_flask_form())


def _every_flask_form():
    from flask_wtf import FlaskForm

    stack = list(FlaskForm.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        yield cls


FORM_VALUES = st.one_of(
    CONTROL_TEXT,
    EXTREME_DATES,
    EXTREME_NUMBERS.map(str),
    st.sampled_from(["", " ", "ｶﾀｶﾅ", "'; DROP TABLE user; --"]),
    st.builds(lambda: "x" * 100_000),
    st.lists(CONTROL_TEXT, min_size=2, max_size=3),  # a field sent twice
)


def test_every_form_refuses_hostile_values_without_writing(app, world, targets):  # noqa: F811
    names = set().union(*(_field_names(cls) for cls in _form_classes()))
    routes = _form_routes(_posting(app))
    clients, tokens = {}, {}
    for role in POSTERS:
        clients[role] = app.test_client()
        if role != "anonymous":
            login(clients[role], world["emails"][role])
        tokens[role] = csrf_token(clients[role], "/login" if role == "anonymous" else "/account")

    @hypothesis.settings(SETTINGS, max_examples=8)
    @hypothesis.given(value=FORM_VALUES)
    def check(value):
        for endpoint, (path, role) in sorted(routes.items()):
            url = path.format(**targets)
            before = snapshot(app)
            data = dict.fromkeys(names, value)
            data["csrf_token"] = tokens[role]
            response = clients[role].post(url, data=data)
            status = response.status_code
            assert status < 500, (endpoint, url, value)
            snapshot(app)  # nothing unstorable was stored, refused or not
            if status >= 400:
                assert not changed(before, snapshot(app)), (endpoint, url, value)

    check()


# --- every event of the live room ----------------------------------------------------------------

#: the live room's events and their fields (app/live/socket/handlers.py)
EVENTS = {
    "join": ["session_id"],
    "heartbeat": [],
    "chat": ["text"],
    "chat_delete": ["id"],
    "mute": ["user_id", "muted"],
    "hide_name": ["hide"],
    "ask": ["text", "anonymous"],
    "upvote": ["question_id"],
    "question_answered": ["id", "answered"],
    "question_hide": ["id"],
    "poll_create": ["question", "options", "multiple"],
    "poll_open": ["id"],
    "poll_close": ["id"],
    "poll_vote": ["id", "choices"],
    "announce": ["text"],
    "leave": [],
}


def test_every_socket_event_refuses_hostile_values_without_writing(
    app,
    connect,  # noqa: F811
    room,  # noqa: F811
):
    organiser = joined(connect, room, "organizer")

    @hypothesis.settings(SETTINGS, max_examples=6)
    @hypothesis.given(
        payloads=st.fixed_dictionaries(
            {name: (_body(fields) if fields else HOSTILE) for name, fields in EVENTS.items()}
        )
    )
    def check(payloads):
        ack = organiser.call("join", {"session_id": room.session_id}, timeout=10)
        assert ack.get("ok"), ack
        for event, payload in payloads.items():
            app.extensions["live_socket"].rate_storage.reset()
            before = snapshot(app)
            ack = organiser.call(event, payload, timeout=10)
            assert "ok" in ack or ack["error"]["code"] != "server_error", (event, payload, ack)
            if must_be_refused(payload):
                assert ack["error"]["code"] in {"validation_error", "invalid_json"}, (event, ack)
            if "error" in ack:
                assert ack["error"]["code"], ack
                assert not changed(before, snapshot(app)), (event, payload, ack)

    check()
