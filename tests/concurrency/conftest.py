"""Live-server fixtures: one throwaway PostgreSQL database per run, migrated with Alembic, and
the app in this process on it (to write people and read results). Servers are per module.

Every test here brings its own database and server whatever KAKAWARI_TEST_DB says, so they run
once per `make test`: in its PostgreSQL pass, and are skipped in the SQLite one."""

import os
from pathlib import Path

import pytest

from tests.concurrency.live import Database, setup_app

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    in_postgres_run = os.environ.get("KAKAWARI_TEST_DB") == "postgresql"
    skip = pytest.mark.skip(reason="runs in the PostgreSQL pass of `make test`")
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.postgres)
            if not in_postgres_run:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _clean_state():
    """These tests bring their own database: the shared test app has nothing to clean."""
    yield


@pytest.fixture(scope="session")
def live_db():
    database = Database.create()
    try:
        database.migrate()
        yield database
    finally:
        database.drop()


@pytest.fixture(scope="session")
def live_app(live_db, tmp_path_factory):
    from app.extensions import db

    app = setup_app(live_db.url, tmp_path_factory.mktemp("live-instance"))
    yield app
    with app.app_context():
        db.engine.dispose()
