"""Fault tests: servers, databases and Redis killed and restarted on purpose (issue 7).

They start real servers and a private PostgreSQL and Redis, so they take minutes and run in
their own pass, `make test-resilience` (`pytest -m resilience tests/resilience`), which
`make test` runs last. Without `-m resilience` they are skipped: the SQLite and PostgreSQL
passes stay as fast as they were."""

from pathlib import Path

import pytest

# One migrated database, and the app in this process on it, for the tests on the machine's
# PostgreSQL (each makes its own organisation, sessions and people in it); no shared test app
# to clean after each test.
from tests.concurrency.conftest import _clean_state, live_app, live_db  # noqa: F401

HERE = Path(__file__).parent


def _asked_for(config) -> bool:
    expression = config.getoption("markexpr") or ""
    return "resilience" in expression and "not resilience" not in expression


@pytest.hookimpl(tryfirst=True)  # before -m selects: the marker must be on already
def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="fault tests run in `make test-resilience` (-m resilience)")
    asked = _asked_for(config)
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.resilience)
            item.add_marker(pytest.mark.postgres)
            if not asked:
                item.add_marker(skip)
