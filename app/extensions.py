"""Flask extensions, created once and bound to the app in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.core.uow import UnitOfWorkSession

# Stable constraint names so Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: One unit of work per request: its session runs what was queued with
#: app.core.uow.after_commit once it committed. What was loaded is expired by the commit, for the
#: whole app (set here, flipped nowhere): an edge that answers from what it read builds its
#: answer before its one commit; code after a commit (the queue's follow-ups) reads afresh.
db = SQLAlchemy(
    model_class=Base,
    session_options={"class_": UnitOfWorkSession, "expire_on_commit": True},
)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)


def commit_keeping_loaded() -> None:
    """Commit without expiring what the session has loaded: for work that follows a change
    within the same request (a signal receiver's own records), so nothing is read again."""
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
