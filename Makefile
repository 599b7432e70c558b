# Kakawari — the two commands: `make run` and `make test`.
PYTHON ?= python3
PORT ?= 5000
HOST ?= 127.0.0.1
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
VENDOR := static/vendor

.PHONY: run run-https test setup setup-dev vendor translations db seed logins lint format \
        test-sqlite test-postgres security extract-messages clean

run: setup db seed logins  ## set up, migrate, seed the demo and serve on http://$(HOST):$(PORT)
	$(FLASK) run --host $(HOST) --port $(PORT)

# The scanner from a phone on the same network: a camera needs HTTPS, so serve with a
# self-signed certificate (made once into instance/) on all interfaces.
run-https: setup db seed logins instance/dev-cert.pem
	@echo "Open https://$$(hostname -I | cut -d' ' -f1):5443 on the phone and accept the certificate."
	$(FLASK) run --host 0.0.0.0 --port 5443 --cert instance/dev-cert.pem --key instance/dev-key.pem

instance/dev-cert.pem:
	mkdir -p instance
	openssl req -x509 -newkey rsa:2048 -nodes -days 90 -subj "/CN=kakawari.local" \
	  -addext "subjectAltName=IP:127.0.0.1,IP:$$(hostname -I | cut -d' ' -f1),DNS:localhost" \
	  -keyout instance/dev-key.pem -out instance/dev-cert.pem

setup: $(VENV)/.runtime vendor translations

setup-dev: setup $(VENV)/.dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Third-party front-end code comes from npm and is copied here; it is never committed.
vendor: node_modules/.installed
	mkdir -p $(VENDOR)/swagger-ui
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	   node_modules/swagger-ui-dist/LICENSE $(VENDOR)/swagger-ui/
	mkdir -p $(VENDOR)/jsqr
	cp node_modules/jsqr/dist/jsQR.js node_modules/jsqr/LICENSE $(VENDOR)/jsqr/
	mkdir -p $(VENDOR)/socket.io
	cp node_modules/socket.io-client/dist/socket.io.min.js node_modules/socket.io-client/LICENSE \
	   $(VENDOR)/socket.io/
	mkdir -p $(VENDOR)/chartjs
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md $(VENDOR)/chartjs/

translations: $(VENV)/.runtime
	$(BIN)/pybabel -q compile -f -d app/translations

extract-messages: $(VENV)/.runtime  ## refresh the .po files after changing strings
	$(BIN)/pybabel -q extract -F app/translations/babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel -q update -N -i app/translations/messages.pot -d app/translations

db: setup
	$(FLASK) db upgrade

seed: db
	$(FLASK) demo seed

logins:
	@$(FLASK) demo logins
	@echo "Serving on http://$(HOST):$(PORT)  (PORT=8000 make run to change)"

# Production (README "Running in production"): gevent workers for pages, API and live rooms,
# on PostgreSQL and Redis, settings from the environment (app/ops/gunicorn_conf.py refuses to
# start without DATABASE_URL, REDIS_URL and a real SECRET_KEY). Run `flask db upgrade` first.
.PHONY: serve-prod mail-worker
serve-prod: setup
	$(BIN)/gunicorn -c app/ops/gunicorn_conf.py wsgi:app

# Sends the queued mail, retrying while the SMTP server is away; run one or more beside it.
mail-worker: setup
	$(FLASK) mail worker

# lint-imports: the layering contracts in pyproject.toml (dependencies point one way).
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Known weaknesses: bandit over app/ (medium and high findings fail; ruff's S rules check the
# rest line by line), then the pinned Python and npm packages against advisory databases.
security: setup-dev
	$(BIN)/bandit -q -c pyproject.toml -r app --severity-level medium
	$(BIN)/python tests/security/audit_deps.py python requirements.txt requirements-dev.txt
	$(BIN)/python tests/security/audit_deps.py npm --level high

# Every test: lint, security, the whole suite on SQLite and again on PostgreSQL, then the
# fault tests.
test: setup-dev lint security test-sqlite test-postgres test-resilience

# The two passes run on TEST_WORKERS pytest-xdist workers, each with its own database, app and
# servers (tests/conftest.py). worksteal gives each worker one half of the suite in order and
# lets an idle one take tests from the other's end, so a module's tests mostly stay together.
# Not loadfile/loadscope/loadgroup: they keep one test per node id, and schemathesis gives
# all 27 API operations of test_api_schema the same one (tests/conftest.py refuses them).
# TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal

test-sqlite: setup-dev
	$(PYTEST)

# tests/concurrency run afterwards in one process: each module's gunicorn servers open up to
# 90 connections, and two modules at once on two workers exceeded PostgreSQL's 100.
test-postgres: setup-dev
	KAKAWARI_TEST_DB=postgresql $(PYTEST) -m "not e2e" --ignore=tests/concurrency
	KAKAWARI_TEST_DB=postgresql $(BIN)/pytest -q -p no:cacheprovider tests/concurrency

# Faults on purpose (tests/resilience/): a server killed during a live session, PostgreSQL
# restarted while scans arrive, Redis down and back, and everything at once under load. Needs
# PostgreSQL and Redis as above, plus initdb/pg_ctl and redis-server for private instances.
.PHONY: test-resilience
test-resilience: setup-dev
	KAKAWARI_TEST_DB=postgresql $(BIN)/pytest -q -p no:cacheprovider -m resilience tests/resilience

# Every benchmark against production-mode servers (gunicorn + gevent, PostgreSQL), one table
# of figure, target and result; the JSON goes to bench/results/. QUICK=1 for a smoke run.
.PHONY: bench
bench: setup-dev
	$(BIN)/python bench/all.py $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) node_modules $(VENDOR) instance .pytest_cache
