# The two commands of the README: `make run` and `make test`. Both work from a fresh clone with
# only python3 present.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SANDBOX_PORT ?= 8001

.PHONY: run serve test setup venv env db demodata demo lint clean chromium messages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

# A development .env: written once (DEBUG on, sandbox providers, fresh keys); later runs only
# append settings that .env.example gained since.
.env: .env.example config/dev.env
	@$(PYTHON) config/write_dev_env.py .env --host $(HOST) --port $(PORT) --sandbox-port $(SANDBOX_PORT)

env: .env

setup: venv env

db: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_schedules
	$(PY) manage.py sandbox_seed

demodata: db
	$(PY) manage.py load_demo

# Each provider's acceptance criteria against its simulator: PASS/FAIL each.
demo: demodata
	$(PY) manage.py acceptance

# Web app, task queue, dispatcher and sandbox on 127.0.0.1; Ctrl-C stops all of them.
# The ports follow through: .env's APP_BASE_URL and sandbox provider URLs are moved to them
# first (config/write_dev_env.py), so a second copy can run beside the first.
run: demodata
	@$(PYTHON) config/write_dev_env.py .env --host $(HOST) --port $(PORT) --sandbox-port $(SANDBOX_PORT)
	@$(PY) manage.py demo_banner --url http://$(HOST):$(PORT)/ --sandbox http://$(HOST):$(SANDBOX_PORT)/sandbox/
	@$(PY) -m config.devstack --python $(PY) --host $(HOST) --port $(PORT) --sandbox-port $(SANDBOX_PORT)

# Serving for real (README "Production"): gunicorn (static files by WhiteNoise), the task queue
# and the dispatcher as their own processes, from the environment (DEBUG=false, SECRET_KEY,
# ALLOWED_HOSTS, ENCRYPTION_KEYS, DATABASE_URL); no demo data, no sandbox. Ctrl-C stops all.
serve: venv
	$(PY) manage.py check --deploy
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_schedules
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@$(PY) -m config.devstack --production --python $(PY) --host $(HOST) --port $(PORT)

# The browser tests (tests/browser) drive Debian's Chromium: installed here when missing and
# possible (root with apt); without one they are skipped, saying why.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	      >/dev/null 2>&1 || echo "chromium could not be installed: the browser tests will be skipped"; \
	  else echo "no chromium (apt-get install chromium): the browser tests will be skipped"; fi; }

test: setup chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# Staff pages speak nb and sv: extract every app's strings (the project templates/ go with the
# app they belong to, through temporary symlinks), then fill the new msgstr by hand and compile.
# tests/test_translations.py fails on any untranslated or fuzzy entry. Needs GNU gettext.
DJADMIN = DJANGO_SETTINGS_MODULE=config.settings_test PYTHONPATH=$(CURDIR) $(CURDIR)/$(VENV)/bin/django-admin
MKMSG = makemessages -l nb -l sv --symlinks --no-obsolete --ignore=node_modules
messages: venv
	cd accounting && ln -sfn ../templates _tpl && $(DJADMIN) $(MKMSG) --ignore="_tpl/admin/*" \
	  --ignore="_tpl/integrations/*" --ignore="_tpl/contracts/*" --ignore="_tpl/sandbox/*"; rm -f _tpl
	cd contracts && ln -sfn ../templates/contracts _tpl && $(DJADMIN) $(MKMSG); rm -f _tpl
	cd integrations && ln -sfn ../templates/integrations _tpl && ln -sfn ../templates/admin _tpl_admin \
	  && $(DJADMIN) $(MKMSG); rm -f _tpl _tpl_admin
	$(DJADMIN) compilemessages --ignore=.venv

lint: venv
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm .pytest_cache staticfiles
