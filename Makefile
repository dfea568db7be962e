# Targets document themselves: `make help`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Every absolute link (in emails, share links, embed snippets, CLI hints) is built from BASE_URL,
# so it follows HOST and PORT unless set on its own: `make run PORT=5123` links to port 5123.
export BASE_URL ?= http://$(HOST):$(PORT)
DEMO   := petitions/demo/petition.json
LETTER := petitions/demo/letter.json
export PETITIONS_ENV ?= development

.DEFAULT_GOAL := help
.PHONY: help venv lint run organiser test test-imap test-faults test-browser test-all translations compile-translations check-translations bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-22s %s\n", $$1, $$2}'

# Pillow's wheels shape Arabic script (the Farsi share image) with libraqm, which loads the system's
# FriBiDi at run time: Debian's libfribidi0, installed here when missing and when we may.
$(STAMP): pyproject.toml
	@/sbin/ldconfig -p 2>/dev/null | grep -q libfribidi || { [ "$$(id -u)" = 0 ] \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libfribidi0 >/dev/null; } \
	  || echo "note: install libfribidi0 (Debian) or fribidi, or Farsi share images are drawn unjoined"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP) ## Create the virtualenv and install the project with its test tools

# Each .mo is rebuilt only when its .po is newer, so make commands run side by side (as .ci/run
# does) never rewrite a catalogue another test run is reading.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel -q compile -d translations -l $*

compile-translations: $(STAMP) $(MO_FILES) ## Compile translations/*/LC_MESSAGES/messages.po to .mo

run: compile-translations ## Migrate a SQLite database, load the demo petition and serve on HOST:PORT (default 127.0.0.1:5000)
	$(BIN)/petitions db upgrade
	$(BIN)/petitions petition import $(DEMO)
	$(BIN)/petitions petition import $(LETTER)
	# Importing again lists each name as "already listed" and adds nothing.
	$(BIN)/petitions letter import free-all-political-prisoners petitions/demo/letter-signatories.txt
	$(BIN)/petitions organisation import petitions/demo/organisation.json
	@echo "Petition:    $(BASE_URL)/p/letters-behind-bars"
	@echo "Open letter: $(BASE_URL)/p/free-all-political-prisoners"
	@echo "Organisation: $(BASE_URL)/o/letters-behind-bars"
	@echo "Mailbox:     $(BASE_URL)/dev/mail"
	$(BIN)/petitions run --host $(HOST) --port $(PORT)

organiser: compile-translations ## Make EMAIL (and NAME) an owner of the demo organisation for `make run`; asks for a password
	@test -n "$(EMAIL)" || { echo 'usage: make organiser EMAIL=you@example.org NAME="Your Name"'; exit 2; }
	$(BIN)/petitions organiser create --email "$(EMAIL)" --name "$(or $(NAME),$(EMAIL))" --organisation "Letters Behind Bars"

lint: $(STAMP) ## Check the code for mistakes (ruff: unused or undefined names, likely bugs) and the layers (lint-imports)
	$(BIN)/ruff check petitions tests migrations benchmarks wsgi.py gunicorn.conf.py
	$(BIN)/lint-imports --no-cache

test: compile-translations lint ## Run the test suite (SQLite, in-memory rate limits; no browser, no fault tests, no IMAP server)
	PETITIONS_ENV=testing $(BIN)/pytest -m "not browser and not faults and not imap" -q

test-imap: compile-translations ## Read bounce reports from a throwaway Dovecot over IMAP (needs Debian's dovecot-imapd)
	PETITIONS_ENV=testing $(BIN)/pytest -m imap -q -rs

test-faults: compile-translations ## Break throwaway PostgreSQL, Redis and SMTP servers under load (needs Debian's postgresql and redis-server)
	PETITIONS_ENV=testing timeout 300 $(BIN)/pytest -m faults -q

# axe-core checks accessibility inside the browser tests. It is fetched from npm
# at test time and kept out of the repository; delete .cache/ to fetch it again.
AXE := .cache/axe/node_modules/axe-core/axe.min.js
$(AXE):
	npm install --no-save --no-audit --no-fund --prefix .cache/axe axe-core@4

test-browser: compile-translations $(AXE) ## Run the real-browser tests, axe-core accessibility checks included (needs /usr/bin/chromium, npm)
	PETITIONS_ENV=testing $(BIN)/pytest -m browser -q

BENCH_PG ?= postgresql://postgres@127.0.0.1:5432/postgres

bench: compile-translations ## Load-test gunicorn (SQLite, PostgreSQL) with wrk beside a bare Flask app, plain and sealed; a 1,000,000-row CSV export on both, plain and sealed; page and dashboard at 100 and 1,000,000 signatures; mail workers draining a full outbox
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python benchmarks/load.py --postgres-url $(BENCH_PG)
	$(BIN)/python benchmarks/export_memory.py --sizes 1000000 --formats csv
	$(BIN)/python benchmarks/export_memory.py --sizes 1000000 --formats csv --database-url $(dir $(BENCH_PG))petitions_bench
	$(BIN)/python benchmarks/export_memory.py --sizes 1000000 --formats csv --sealed
	$(BIN)/python benchmarks/export_memory.py --sizes 1000000 --formats csv --sealed --database-url $(dir $(BENCH_PG))petitions_bench
	$(BIN)/python benchmarks/scale_read.py --sizes 100,1000000
	$(BIN)/python benchmarks/scale_read.py --sizes 100,1000000 --database $(dir $(BENCH_PG))petitions_bench
	$(BIN)/python benchmarks/load.py --postgres-url $(BENCH_PG) --sealed
	$(BIN)/python benchmarks/mail.py --postgres-url $(BENCH_PG)

translations: $(STAMP) ## Extract strings, update every catalogue, compile
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d translations

DIST ?= dist

# setuptools builds in build/: emptied before and after, so no file deleted from the checkout lingers in a release.
.PHONY: wheel
wheel: ## Build the release, dist/petitions-*.whl (or DIST=dir), with templates, compiled translations and migrations inside
	rm -rf build $(DIST)/petitions-*.whl
	$(PYTHON) -m pip wheel --no-deps --quiet --disable-pip-version-check --wheel-dir $(DIST) .
	rm -rf build
	@ls $(DIST)/petitions-*.whl

clean: ## Remove the virtualenv, the development database and mailbox
	rm -rf $(VENV) instance .pytest_cache
