"""Column types shared by all areas."""

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator

#: the years a time from outside may fall in: beyond them it is a typing error, and a time
#: at year 1 or 9999 with a large UTC offset overflows on its way to UTC
SUPPORTED_YEARS = (2000, 2100)
OUT_OF_RANGE = _l("Choose a date between the years 2000 and 2100.")


def utcnow() -> datetime:
    return datetime.now(UTC)


def in_supported_range(value: datetime) -> bool:
    """The one range check for times from outside (forms, API): judged on the year as written,
    before any conversion, so it never overflows itself."""
    return SUPPORTED_YEARS[0] <= value.year <= SUPPORTED_YEARS[1]


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone, PostgreSQL's would differ."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def str_enum(cls, name: str) -> Enum:
    """A Python StrEnum stored as its value in a VARCHAR (portable; no native enum type)."""
    return Enum(cls, name=name, native_enum=False, length=20, validate_strings=True)
