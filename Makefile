# The two commands in the README: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
ADDR ?= 127.0.0.1:8000

.PHONY: run test venv migrate lint migrations-check messages

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $$(scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py load_demo
	$(PY) manage.py runserver $(ADDR)

lint: venv
	$(VENV)/bin/ruff check .

migrations-check: venv
	$(PY) manage.py makemigrations --check --dry-run

test: venv lint migrations-check
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Needs gettext (apt-get install gettext); the compiled .mo files are committed, so `run`/`test` do not.
MESSAGES_IGNORE := --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=static --ignore=bench --ignore=tests --ignore=var
messages: venv
	$(PY) manage.py makemessages -l nb -l nn -l en --add-location=file --no-obsolete $(MESSAGES_IGNORE)
	$(PY) manage.py compilemessages $(MESSAGES_IGNORE)
