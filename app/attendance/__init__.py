"""Attendance: one record per participant per session, from venue check-ins and time in the
live room, with organisers' corrections; participation histories and certificates build on it.

Check-in and the live room announce what happened (their signals); this area listens and
neither of them imports it."""
