"""The attendance tests' shared fixture."""

from tests.attendance.helpers import past  # noqa: F401 -- a finished session, one of each
