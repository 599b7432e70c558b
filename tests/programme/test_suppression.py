"""The one rule of what a viewer sees of a figure (app/programme/suppression.py)."""

import pytest

from app.programme.suppression import count, mean, percent, small, total


@pytest.mark.parametrize(
    ("people", "shown"), [(0, "0"), (1, "<5"), (4, "<5"), (5, "5"), (123, "123")]
)
def test_a_count_of_1_to_4_people_shows_as_under_5(people, shown):
    assert str(count(people)) == shown
    assert count(people).hidden is (shown == "<5")


def test_nobody_is_shown_as_0_and_none_counts_as_nobody():
    assert count(None).json() == 0 and not small(0)


def test_the_api_form_is_the_number_or_the_string():
    assert count(7).json() == 7
    assert count(3).json() == "<5"


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (5, 10, "50%"),
        (0, 10, "0%"),
        (3, 100, "<5"),  # 3% of 100 tells that 3 people did
        (5, 4, "<5"),  # can't be, but a small whole is hidden whatever
        (2, 3, "<5"),
        (6, 6, "100%"),
        (0, 0, "—"),
    ],
)
def test_a_share_of_a_small_group_or_in_a_small_group_is_hidden(part, whole, shown):
    assert str(percent(part, whole)) == shown


def test_an_average_of_fewer_than_5_answers_is_hidden():
    assert str(mean(18, 4)) == "<5"
    assert str(mean(22, 5)) == "4.40" and mean(22, 5).json() == 4.4
    assert str(mean(0, 0)) == "—"


def test_a_sum_never_tells_a_hidden_part_by_subtraction():
    assert str(total([10, 20])) == "30"
    # 100 shown beside "<5": the sum is only a floor, as if the hidden part were 1
    assert str(total([100, 3])) == "≥101" and total([100, 3]).hidden
    assert str(total([100, 1])) == "≥101"  # the same text whatever the hidden part is
    assert str(total([2, 3])) == "<5"  # 5 in all, but from two hidden parts
    assert str(total([1, 1, 1])) == "<5"
    assert str(total([0, 0])) == "0"
    assert str(total([5, 0])) == "5"
