# The two commands: `make run` and `make test`. Everything they need is installed by them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test test-fast provision venv setup messages lint format bench-data clean

provision:
	@bash scripts/provision.sh

venv:
	@bash scripts/venv.sh

# Compiled only when a .po is newer than its .mo (a clean checkout has no .mo: all of them),
# with what `manage.py compilemessages` runs (gettext's msgfmt), without starting Django.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po */locale/*/LC_MESSAGES/*.po)
messages: venv $(PO_FILES:.po=.mo)

%.mo: %.po
	@msgfmt --check-format -o $@ $<

# Each step of prepare_run checks first (unapplied migrations, demo there and unchanged, map
# built today) and is skipped when there is nothing to do: a second start pays one check.
setup: provision venv messages
	@$(PY) manage.py prepare_run --no-demo --no-map

run: provision venv messages
	@$(PY) manage.py prepare_run
	@echo "门户 / portal: http://127.0.0.1:$(PORT)  (Ctrl-C stops web, worker and beat)"
	@exec $(VENV)/bin/honcho start -f Procfile -p $(PORT)

test: provision venv messages lint
	@$(PY) manage.py makemigrations --check --dry-run -v 1
	@$(VENV)/bin/pytest

# The edit loop: no browsers, no Celery workers, no fault injection, no fuzzing. `make test` stays
# the whole suite, and it is what CI runs.
test-fast: venv messages
	@$(VENV)/bin/pytest -q -m "not browser and not worker" --ignore=tests/faults --ignore=tests/fuzz

lint: venv
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

format: venv
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .tools staticfiles
