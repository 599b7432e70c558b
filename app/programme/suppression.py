"""The one place that decides what a viewer (委託元) may see of a figure.

A figure computed from fewer than `MIN_PEOPLE` people is shown as "<5", and so is a share or
an average of such a group: a count of 1 to 4 could point at someone. Nobody (0) is shown as 0:
it tells nothing about anyone. Every figure a viewer receives, on a page, in the CSV or from the
API, passes through these functions; nothing else formats a viewer's numbers.
"""

from dataclasses import dataclass

MIN_PEOPLE = 5
SMALL = f"<{MIN_PEOPLE}"


@dataclass(frozen=True)
class Shown:
    """A figure as a viewer sees it: its value, or None when hidden, and its text."""

    value: int | float | None
    text: str

    @property
    def hidden(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        return self.text

    def json(self) -> int | float | str:
        """The API's form: the number, or the string "<5"."""
        return self.text if self.value is None else self.value


HIDDEN = Shown(None, SMALL)


def small(people: int) -> bool:
    """A group of 1 to 4 people: too few to show anything of."""
    return 0 < people < MIN_PEOPLE


def count(people: int) -> Shown:
    """How many people: "<5" for 1 to 4."""
    people = int(people or 0)
    return HIDDEN if small(people) else Shown(people, str(people))


def percent(part: int, whole: int) -> Shown:
    """The share `part` of `whole` people, in whole percent: hidden when either group is of
    1 to 4 people (the share of a small group would tell its size)."""
    part, whole = int(part or 0), int(whole or 0)
    if small(part) or small(whole):
        return HIDDEN
    if not whole:
        return Shown(None, "—")
    value = round(100 * part / whole)
    return Shown(value, f"{value}%")


def mean(total: float, people: int) -> Shown:
    """An average over `people` answers (e.g. a 5-point scale): hidden under 5 answers."""
    people = int(people or 0)
    if small(people):
        return HIDDEN
    if not people:
        return Shown(None, "—")
    value = round(total / people, 2)
    return Shown(value, f"{value:.2f}")


def total(parts: list[int]) -> Shown:
    """The sum of several organisations' counts. When some of them are hidden, the sum is
    shown as "≥ n" (n counting each hidden one as 1), so that subtracting the shown parts
    from it never tells a hidden one; a sum under 5 is hidden as any count."""
    parts = [int(p or 0) for p in parts]
    whole = sum(parts)
    if small(whole):
        return HIDDEN
    hidden = [p for p in parts if small(p)]
    if not hidden:
        return Shown(whole, str(whole))
    floor = whole - sum(hidden) + len(hidden)
    return HIDDEN if floor < MIN_PEOPLE else Shown(None, f"≥{floor}")
