"""The commit counter for the tests of one unit of work per request (tests/commits.py)."""

from tests.commits import commits  # noqa: F401 (fixture)
