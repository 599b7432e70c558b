"""Tickets and venue check-in (受付): QR tickets, scan verdicts, manual check-in, offline sync."""
