"""Emails to participants, sent when registration or events announce a change (signals)."""
