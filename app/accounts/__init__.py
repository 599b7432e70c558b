"""People: sign-up, login, profile, password reset, API tokens, account deletion."""
