"""Pages of long lists: which page, how many, which rows (the rows are the caller's query)."""

from dataclasses import dataclass


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))  # an empty list still has its one page


def page_number(asked: int, total: int, per_page: int) -> int:
    """A page before the first is the first, one past the last the last (after a change the
    filter may match fewer rows)."""
    return min(max(asked, 1), page_count(total, per_page))


@dataclass(frozen=True)
class PageWindow:
    #: 1 to `pages`
    number: int
    per_page: int
    #: rows matching the filter, on every page
    total: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def first(self) -> int:
        """Position of the page's first row (1-based), 0 when nothing matches."""
        return min(self.total, self.offset + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.number * self.per_page)
