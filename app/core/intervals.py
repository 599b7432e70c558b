"""Time intervals: the union that counts overlapping tabs and reconnects once (the live room's
presence and the archive page's viewing both measure time this way)."""

from datetime import datetime


def merge_intervals(intervals) -> list[tuple[datetime, datetime]]:
    """Union of (start, end) intervals, sorted; empty or reversed ones are dropped."""
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]
