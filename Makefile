# The two commands in the README: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
ADDR ?= 127.0.0.1:8000
# `make run`'s address as a URL, for the portal's own links: those load_demo prints, the demo requests'
# redirect URL, confirmUrl, the token issuer. A bare port (ADDR=8001) is 127.0.0.1's; 0.0.0.0 and [::]
# are reached at 127.0.0.1. A PORTAL_BASE_URL in the environment wins (another host, a proxy).
RUN_HOSTPORT = $(if $(findstring :,$(ADDR)),$(ADDR),127.0.0.1:$(ADDR))
RUN_BASE_URL = $(or $(PORTAL_BASE_URL),http://$(patsubst 0.0.0.0:%,127.0.0.1:%,$(patsubst [::]:%,127.0.0.1:%,$(RUN_HOSTPORT))))

.PHONY: run demo test venv migrate lint imports migrations-check messages oidc-provider faults prerequisites screenshots tokend faults-tokend

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $$(scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# The real OpenID provider the login tests run (npm's oidc-provider, tests/oidc_provider/);
# installed again only when its package files change.
OIDC_PROVIDER := tests/oidc_provider
$(OIDC_PROVIDER)/node_modules/.installed: $(OIDC_PROVIDER)/package.json $(OIDC_PROVIDER)/package-lock.json
	@command -v npm >/dev/null || { echo "The login tests need Node.js and npm: apt-get install nodejs npm" >&2; exit 1; }
	npm ci --prefix $(OIDC_PROVIDER) --no-audit --no-fund
	touch $@

oidc-provider: $(OIDC_PROVIDER)/node_modules/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

run: migrate
	PORTAL_BASE_URL=$(RUN_BASE_URL) $(PY) manage.py load_demo
	PORTAL_BASE_URL=$(RUN_BASE_URL) $(PY) manage.py runserver $(ADDR)

demo: venv
	bash demo/run-demo.sh

lint: venv
	$(VENV)/bin/ruff check .

# What may import what (.importlinter; docs/architecture.md).
imports: venv
	$(VENV)/bin/lint-imports

migrations-check: venv
	$(PY) manage.py makemigrations --check --dry-run

# What the tests need from the machine, named up front instead of failing tests one by one.
prerequisites:
	@scripts/check-prerequisites

test: prerequisites venv oidc-provider lint imports migrations-check
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Mutation testing of the security-critical modules (scripts/mutants.py, docs/testing.md): each module
# on its own with the tests that exercise it, bounded in time. MUTANTS="identifiers transitions" picks some.
mutants: venv
	$(PY) scripts/mutants.py $(MUTANTS)

# tokend, the optional token fast path (tokend/README.md): from Debian's Rust crates, offline.
tokend:
	cd tokend && cargo build --release

# The fault suite (faults/run.py): its own PostgreSQL, Redis, SMTP sink, two gunicorn nodes behind
# HAProxy, a Celery worker and beat; faults injected under load; about 5 minutes. Separate from `test`.
faults: venv
	@scripts/check-prerequisites faults
	$(PY) faults/run.py

# The same with tokend, the token fast path, in front of each web node (tokend/README.md).
faults-tokend: venv
	@scripts/check-prerequisites faults
	FAULTS_TOKEND=1 $(PY) faults/run.py

# The pictures of the approval and details pages in docs/ (docs/system-access-pages.md, the README),
# taken by the browser tests that walk those pages; an ordinary `make test` leaves docs/ alone.
screenshots: venv
	SCREENSHOTS=1 $(VENV)/bin/pytest -q tests/e2e/test_approval.py tests/e2e/test_systemusers.py

# Needs gettext (apt-get install gettext); the compiled .mo files are committed, so `run`/`test` do not.
MESSAGES_IGNORE := --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=static --ignore=bench --ignore=tests --ignore=var
messages: venv
	$(PY) manage.py makemessages -l nb -l nn -l en --add-location=file --no-obsolete $(MESSAGES_IGNORE)
	$(PY) manage.py compilemessages $(MESSAGES_IGNORE)
