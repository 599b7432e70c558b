"""Who may use what: every route of the app for anonymous, participant, staff, organiser,
owner, a member of another organisation, and a site admin.

The rows live beside this file in routes_<area>.py. A new route without a row fails
`test_matrix_covers_every_route`, and a route without a declared policy fails
`test_every_route_declares_who_may_use_it`.
"""

import importlib
import pkgutil

import pytest

import tests.security
from app.accounts.services import create_api_token
from app.core.access import policy_of
from app.extensions import db
from app.programme.models import ViewerGrant
from tests.conftest import create_org, create_user, csrf_token, login
from tests.security.matrix import ROLES, with_viewer

AREAS = [
    importlib.import_module(f"tests.security.{m.name}")
    for m in pkgutil.iter_modules(tests.security.__path__)
    if m.name.startswith("routes_")
]
PAGES = [(*row[:4], with_viewer(row[4])) for area in AREAS for row in getattr(area, "ROWS", [])]
API = [(*row[:4], with_viewer(row[4])) for area in AREAS for row in getattr(area, "API_ROWS", [])]


@pytest.fixture
def world(world, app):
    """The shared world and a viewer (委託元): the owner of 島根県's organisation, which views
    the first organisation's programme. Not a member of it."""
    with app.app_context():
        viewer = create_user("viewer@example.jp", name="島根 県子", furigana="しまね けんこ")
        pref = create_org("島根県 地域振興部", owner=viewer)
        db.session.add(ViewerGrant(org_id=world["org"], viewer_org_id=pref.id))
        db.session.commit()
        return {
            **world,
            "viewer": viewer.id,
            "viewer_org": pref.id,
            "emails": {**world["emails"], "viewer": viewer.email},
        }


@pytest.fixture
def targets(app, world):
    found = {}
    for area in AREAS:
        if hasattr(area, "targets"):
            found.update(area.targets(app, world))
    return found


def _client_for(app, world, role):
    client = app.test_client()
    if role != "anonymous":
        login(client, world["emails"][role])
    return client


def _api_token(app, world, role):
    if role == "anonymous":
        return None
    with app.app_context():
        from app.accounts.models import User

        _token, secret = create_api_token(db.session.get(User, world[role]), "matrix")
        db.session.commit()
        return secret


@pytest.mark.parametrize("role", ROLES)
def test_pages(app, world, targets, role):
    client = _client_for(app, world, role)
    token = csrf_token(client, "/login" if role == "anonymous" else "/account")
    wrong = []
    for endpoint, method, path, body, expected in PAGES:
        url = path.format(**targets)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={**body, "csrf_token": token})
        if response.status_code != expected[role]:
            wrong.append(f"{method} {url}: {response.status_code}, expected {expected[role]}")
        if endpoint == "accounts.logout" and role != "anonymous":
            login(client, world["emails"][role])  # log back in for the rest of the matrix
            token = csrf_token(client, "/account")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_api(app, world, targets, role):
    client = app.test_client()
    secret = _api_token(app, world, role)
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    wrong = []
    for _endpoint, method, path, body, expected in API:
        response = client.open(path.format(**targets), method=method, json=body, headers=headers)
        if response.status_code != expected[role]:
            wrong.append(f"{method} {path}: {response.status_code}, expected {expected[role]}")
        if response.status_code >= 400:
            assert response.is_json and "code" in response.json["error"], path
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def endpoints_missing_from_matrix(app) -> set[str]:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    return endpoints - {row[0] for row in PAGES + API}


def routes_without_policy(app) -> list[str]:
    return [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and policy_of(app.view_functions[rule.endpoint]) is None
    ]


def test_matrix_covers_every_route(app):
    assert endpoints_missing_from_matrix(app) == set(), "add these routes to the matrix"


def test_every_route_declares_who_may_use_it(app):
    assert routes_without_policy(app) == []
