"""A row version for the API's optimistic concurrency (ETag / If-Match).

`Versioned` models carry `version`, moved on in the database (`version = version + 1`) by every
ORM update of the row, whoever makes it (a page, the API, a worker), so a version someone read
is stale as soon as the row changed. app.api.etags turns it into the ETag and takes it, with
the row's write lock, before an update.
"""

from sqlalchemy import Integer, event
from sqlalchemy.orm import Mapped, mapped_column


class Versioned:
    #: moved on by every update of the row; the API's ETag
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


@event.listens_for(Versioned, "before_update", propagate=True)
def _move_on(_mapper, _connection, target) -> None:
    # an SQL expression: two writers one after the other make two versions, never one
    target.version = type(target).version + 1
