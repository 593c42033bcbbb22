# Two commands do everything:
#   make repro   set up the environment (once) and run the whole study: dvc repro
#   make test    set up the environment (once) and run the tests: python -m pytest
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.talkvid-setup
# extra pip arguments for torch, e.g. an index of CPU wheels where no local wheel is configured
TORCH_PIP_ARGS ?=
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup repro test lab export clean-cache
setup: $(STAMP)

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0 $(TORCH_PIP_ARGS)
	$(BIN)/python -m pip install -q -e ".[dev,ray]"
	touch $(STAMP)

repro: setup
	$(BIN)/dvc repro

test: setup
	$(BIN)/python -m pytest

lab: setup
	$(BIN)/jupyter lab nbs/

# after editing notebooks: regenerate talkvid_nb/ and strip notebook noise
export: setup
	$(BIN)/nbdev_clean && $(BIN)/nbdev_export

clean-cache:
	rm -rf data/.cache
