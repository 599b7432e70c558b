"""The route inventory really catches a new route: one added without a declared policy or a
row in the authorization matrix is reported by the checks of test_authorization_matrix.py."""

import pytest

from app import create_app
from app.core.access import login_required
from tests.conftest import TestConfig
from tests.security.test_authorization_matrix import (
    endpoints_missing_from_matrix,
    routes_without_policy,
)


@pytest.fixture
def fresh_app(tmp_path):
    """An app of its own, so the throwaway route never reaches the other tests."""
    return create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'inventory.db'}",
        INSTANCE_DIR=tmp_path,
    )


def test_a_new_undeclared_route_is_reported(fresh_app):
    unprotected, uncovered = (
        routes_without_policy(fresh_app),
        endpoints_missing_from_matrix(fresh_app),
    )
    fresh_app.add_url_rule("/throwaway/<int:id>", "throwaway", lambda id: "secret")
    assert set(routes_without_policy(fresh_app)) - set(unprotected) == {"/throwaway/<int:id>"}
    assert endpoints_missing_from_matrix(fresh_app) - uncovered == {"throwaway"}


def test_a_declared_route_still_needs_its_row_in_the_matrix(fresh_app):
    unprotected, uncovered = (
        routes_without_policy(fresh_app),
        endpoints_missing_from_matrix(fresh_app),
    )
    fresh_app.add_url_rule("/throwaway", "throwaway", login_required(lambda: "for members"))
    assert routes_without_policy(fresh_app) == unprotected
    assert endpoints_missing_from_matrix(fresh_app) - uncovered == {"throwaway"}
