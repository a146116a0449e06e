# Two commands on a fresh machine: `make run` and `make test`. Everything else is their plumbing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PACKAGES := common services/registry services/tasks services/fieldrecords services/confirmation services/credit services/gateway
PYPROJECTS := $(addsuffix /pyproject.toml,$(PACKAGES))

.PHONY: run test install install-dev system bench clean

run: install
	$(PY) scripts/run_all.py

test: install-dev system
	$(PY) -m pytest -q $(PYTEST_ARGS)

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools<82" wheel

$(VENV)/.installed: $(VENV)/bin/python requirements.txt $(PYPROJECTS)
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q $(addprefix -e ,$(PACKAGES))
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

system:
	bash scripts/ensure_system.sh

bench: install-dev
	$(PY) bench/store_bench.py
	$(PY) bench/gateway_growth_bench.py
	$(PY) bench/gateway_bench.py
	$(PY) bench/field_bench.py
	$(PY) bench/supervision_bench.py
	$(PY) bench/sweep_page_bench.py

clean:
	rm -rf $(VENV) var tests/screenshots
