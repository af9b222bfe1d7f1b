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

messages: venv
	$(PY) manage.py makemessages -l nb -l nn -l en --ignore=.venv --ignore=bench
	$(PY) manage.py compilemessages --ignore=.venv
