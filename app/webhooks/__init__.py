"""Webhooks: an organisation's endpoints hear what happened (signed, ordered, retried)."""
