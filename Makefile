# The two set-up commands are `make demo` and `make test`; both work from a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
CHROMIUM := /usr/bin/chromium

.PHONY: install demo test lint format messages bench browser-deps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

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

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  CRM demo: http://127.0.0.1:8000/   (Ctrl-C stops the web server and the worker)"
	@echo ""
	$(VENV)/bin/honcho --procfile Procfile start

test: install browser-deps
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

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
