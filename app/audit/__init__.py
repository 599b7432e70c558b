"""Audit log of security events (failed logins, role changes, token creation, ...)."""
