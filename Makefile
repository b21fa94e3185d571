# The two set-up commands are `make demo` and `make test`; both work from a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := --quiet --disable-pip-version-check
STAMP := $(VENV)/.installed-stamp
# The exact versions that were tested, for every dependency (pyproject.toml says the ranges).
LOCK := requirements.lock
CHROMIUM := /usr/bin/chromium

.PHONY: install demo test lint format messages bench browser-deps deploy-deps lock python-check clean

# Debian ships Python without its venv module (package python3-venv): say so plainly.
python-check:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Python 3.11 is needed (Debian: sudo apt-get install python3 python3-venv)."; exit 1; \
	fi
	@if ! $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null; then \
	  echo "Python's venv module is missing, so .venv cannot be created."; \
	  echo "Install it with: sudo apt-get install python3-venv   (then run make again)"; \
	  exit 1; \
	fi

$(PY): | python-check
	$(PYTHON) -m venv $(VENV)

# Dependencies from the lock, then the project itself without resolving anything again.
$(STAMP): $(PY) pyproject.toml $(LOCK)
	$(PY) -m pip install $(PIP) -r $(LOCK)
	$(PY) -m pip install $(PIP) --no-deps -e .
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; \
	  echo "$(LOCK) does not cover pyproject.toml: run 'make lock' and commit $(LOCK)."; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

# Resolve pyproject.toml (with the dev extras) afresh in a scratch venv and write every
# installed version to the lock. Run it after changing the dependencies, then commit the lock.
lock: python-check
	rm -rf var/lock-venv
	$(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/python -m pip install $(PIP) -e '.[dev]'
	@{ echo "# Made by 'make lock' from pyproject.toml (with the dev extras); do not edit."; \
	  var/lock-venv/bin/python -m pip freeze --exclude-editable; } > $(LOCK)
	rm -rf var/lock-venv
	@echo "Wrote $(LOCK); 'make install' now installs these versions."

# Debian's Chromium drives the browser tests (Playwright's own browser download cannot be
# used). Installed when we are root on a Debian machine; otherwise the tests say they skipped.
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "NOTE: $(CHROMIUM) is missing, so the browser tests will be SKIPPED."; \
	    echo "      Install it with: sudo apt-get install chromium"; \
	  fi; \
	fi

# The deployment tests (tests/deploy, marked `deploy`) bring up nginx (Debian's) in front of two
# gunicorns, two Celery workers and a beat on Redis, and a PostgreSQL primary with a streaming
# replica, on free ports of this machine. nginx is installed like chromium above; PostgreSQL's
# server programs and redis-server come with the services CI starts.
deploy-deps:
	@if [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's nginx for the deployment tests..."; \
	    apt-get update -qq && RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else \
	    echo "NOTE: nginx is missing, so the deployment tests will be SKIPPED."; \
	    echo "      Install it with: sudo apt-get install nginx"; \
	  fi; \
	fi

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  CRM demo: http://127.0.0.1:8000/   (Ctrl-C stops the web server and the worker)"
	@echo ""
	$(VENV)/bin/honcho --procfile Procfile start

test: install browser-deps deploy-deps
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Needs GNU gettext (Debian package gettext). The compiled .mo files are committed.
messages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=tests --no-location --no-obsolete
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=var

# Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/crm_bench_N).
# BENCH_CUSTOMERS=100000 for a quick run; the README's "Benchmark" section lists the knobs.
bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) var *.egg-info .pytest_cache .ruff_cache
