"""The demo data behind `make run`: idempotent, so running it again duplicates nothing."""
