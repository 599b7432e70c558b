"""Registrations (申込): places per session and mode, waitlists, lotteries, calendars, emails."""
