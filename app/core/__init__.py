"""Shared building blocks every area may use: types, access policies, errors, time, mail."""
