# The two commands of the README: `make run` and `make test`. Both work from a fresh clone with
# only python3 present.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SANDBOX_PORT ?= 8001

.PHONY: run test setup venv env db demo lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

# A development .env, written once: DEBUG on and freshly generated keys.
.env:
	$(PYTHON) -c "import secrets, pathlib; \
	t = pathlib.Path('.env.example').read_text(); \
	t = t.replace('DEBUG=false', 'DEBUG=true'); \
	t = t.replace('SECRET_KEY=', 'SECRET_KEY=' + secrets.token_urlsafe(40), 1); \
	t = t.replace('ENCRYPTION_KEYS=', 'ENCRYPTION_KEYS=' + secrets.token_urlsafe(32), 1); \
	pathlib.Path('.env').write_text(t)"
	@echo "wrote .env with a development SECRET_KEY and ENCRYPTION_KEYS"

env: .env

setup: venv env

db: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_schedules

demo: db
	$(PY) manage.py load_demo

# Web app, task queue, dispatcher and sandbox on 127.0.0.1; Ctrl-C stops all of them.
run: demo
	@$(PY) manage.py demo_banner --url http://$(HOST):$(PORT)/ --sandbox http://$(HOST):$(SANDBOX_PORT)/sandbox/
	@$(PY) -m config.devstack --python $(PY) --host $(HOST) --port $(PORT) --sandbox-port $(SANDBOX_PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache
