# Two commands on a fresh machine:  make run  (install, build the store, start the app)
#                                   make test (install, build the store, run every test)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
PORT   ?= 8501
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install store chromium lint bench clean

run: store
	$(PY) -m explorer.serve --server.port $(PORT)

test: store chromium
	$(PY) -m pytest -q -p no:cacheprovider -n 2

install: $(STAMP)

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

# Builds the Parquet store from data/raw only when it is missing or out of date.
store: install
	$(PY) -m explorer ensure

# Browser tests drive Debian's Chromium through Playwright; never a downloaded browser.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(PY) -m ruff check .

bench: store
	$(PY) -m explorer.bench

clean:
	rm -rf data/store data/builds data/.build-cache
