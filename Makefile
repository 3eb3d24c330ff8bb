# The two commands of the README: `make run` and `make test`. Both work from a fresh clone with
# only python3 present.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SANDBOX_PORT ?= 8001

.PHONY: run test setup venv env db demodata demo lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

# A development .env: written once (DEBUG on, sandbox providers, fresh keys); later runs only
# append settings that .env.example gained since.
.env: .env.example config/dev.env
	@$(PYTHON) config/write_dev_env.py .env

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
run: demodata
	@$(PY) manage.py demo_banner --url http://$(HOST):$(PORT)/ --sandbox http://$(HOST):$(SANDBOX_PORT)/sandbox/
	@$(PY) -m config.devstack --python $(PY) --host $(HOST) --port $(PORT) --sandbox-port $(SANDBOX_PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm .pytest_cache
