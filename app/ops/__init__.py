"""Running in production: the health endpoint and the gunicorn settings (gunicorn_conf.py)."""
