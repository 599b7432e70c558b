"""The migrations build exactly the schema the models describe (both databases run it): a model
change without its migration, or a migration that differs from the model, fails here."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def _differences(connection) -> list:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": False}
    )
    return compare_metadata(context, db.metadata)


def test_the_migrated_database_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        assert _differences(connection) == []


def test_the_check_sees_a_column_the_migrations_lack(app):
    from sqlalchemy import Column, Integer, MetaData, Table

    with app.app_context(), db.engine.connect() as connection:
        extra = MetaData()
        for table in db.metadata.sorted_tables:
            table.to_metadata(extra)
        Table("user", extra, Column("not_migrated", Integer), extend_existing=True)
        context = MigrationContext.configure(connection)
        found = compare_metadata(context, extra)
    assert [d[0] for d in found] == ["add_column"]
