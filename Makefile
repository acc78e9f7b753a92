# guichet — the two commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock requirements-dev.lock pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test setup install run lint format typecheck check-migrations bench serve-prod chromium clean help

help:
	@echo "make demo   : installe, prépare la base SQLite de démonstration et lance le serveur"
	@echo "make test   : toute la suite de tests (DATABASE_URL pour PostgreSQL)"
	@echo "make bench  : mesures de vitesse, écrites dans bench/results.json"
	@echo "make lint   : ruff et mypy"
	@echo "make serve-prod : migrate, collectstatic puis gunicorn (réglages de production, voir le README)"
	@echo "make check-migrations : vérifie que chaque changement de modèle a sa migration"

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 ou plus récent est requis."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

setup: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_territories
	@# The demo call's dates and envelope years move with the day: free them of the previous demo.
	$(BIN)/python manage.py create_demo_dossiers --delete-only
	$(BIN)/python manage.py load_calls
	$(BIN)/python manage.py create_demo_accounts
	$(BIN)/python manage.py create_demo_dossiers

demo: setup
	@echo ""
	@echo "  guichet est prêt : ouvrez http://$(HOST):$(PORT)/"
	@echo "  Simulateur : http://$(HOST):$(PORT)/appels/demo-fitn7-axe3-puy-de-dome/simulateur/"
	@echo "  Appel réel de 2021 : http://$(HOST):$(PORT)/appels/fitn7-axe3-puy-de-dome-2021/"
	@echo "  Administration : http://$(HOST):$(PORT)/admin/ (comptes ci-dessus)"
	@echo "  En ligne de commande : $(BIN)/guichet simulate --applicant commune:63040 --cost 8000 --json"
	@echo "  Tâches de fond (accusés de réception et leurs courriels) : var/worker.log"
	@echo "  Travaux périodiques (relances, ménage), maintenant puis toutes les heures : var/periodic.log"
	@echo ""
	@# The tasks worker and the periodic loop run beside the server and stop with it.
	$(BIN)/python manage.py db_worker --no-reload >var/worker.log 2>&1 & worker=$$!; \
	scripts/demo_periodic.sh $(BIN)/python >var/periodic.log 2>&1 & periodic=$$!; \
	trap 'kill $$worker $$periodic 2>/dev/null; wait $$worker $$periodic 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Browser tests drive Debian's Chromium; install it when missing and we may (root, apt).
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium manque : installez le paquet « chromium » (apt-get install chromium)."; exit 1; fi; }

# The suite runs in TEST_WORKERS processes (pytest-xdist), each on its own test database (in
# memory on SQLite; test_<name>_gw0, test_<name>_gw1… on PostgreSQL). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: install chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Every model change has its migration (also tests/test_migrations.py).
check-migrations: install
	mkdir -p var
	$(BIN)/python manage.py makemigrations --check --dry-run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy

bench: install
	mkdir -p bench var
	$(BIN)/python -m bench.run

# Production (README, « Production »): the settings and DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS,
# DATABASE_URL… come from the environment. The tasks worker (manage.py db_worker) and the periodic
# command (manage.py guichet_periodic, at least daily, every few minutes is fine) run beside it,
# under systemd or cron.
serve-prod: install
	DJANGO_SETTINGS_MODULE=config.settings.production $(BIN)/python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=config.settings.production $(BIN)/python manage.py collectstatic --noinput
	DJANGO_SETTINGS_MODULE=config.settings.production exec $(BIN)/gunicorn -c config/gunicorn.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
