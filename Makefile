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

.PHONY: setup repro test lab export lint models clean-cache one-opencv
# model files no wheel ships (08_models): copied from $TALKVID_MODELS or ../shared/models, else downloaded; sha256 checked
MODEL_FILES := models/face_landmarker.task

setup: $(STAMP) $(MODEL_FILES)

$(MODEL_FILES): | $(STAMP)
	-$(BIN)/talkvid-models

models: setup
	$(BIN)/talkvid-models

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0 $(TORCH_PIP_ARGS)
	$(BIN)/python -m pip install -q -e ".[dev,ray]"
	$(MAKE) one-opencv
	touch $(STAMP)

# MediaPipe needs opencv-contrib-python; scenedetect and insightface pull opencv-python. Both install the same `cv2`
# package, so removing one breaks the other: keep exactly one, contrib (a superset), reinstalled over the removal
one-opencv:
	@if $(BIN)/python -m pip show -q opencv-python 2>/dev/null; then \
	  v=$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("opencv-contrib-python"))') && \
	  $(BIN)/python -m pip uninstall -q -y opencv-python && \
	  $(BIN)/python -m pip install -q --force-reinstall --no-deps "opencv-contrib-python==$$v"; fi
	$(BIN)/python -c 'import cv2, mediapipe; cv2.optflow; print("cv2", cv2.__version__, "(opencv-contrib-python only)")'

repro: setup
	$(BIN)/dvc repro

test: setup
	$(BIN)/python -m pytest

lab: setup
	$(BIN)/jupyter lab nbs/

# after editing notebooks: strip notebook noise, format the code cells, regenerate talkvid_nb/ and format it alike
# (nbdev wraps `__all__` at 120 + its prefix; ruff keeps every line within 120)
export: setup
	$(BIN)/nbdev_clean && $(BIN)/ruff format -q nbs && $(BIN)/nbdev_export && $(BIN)/ruff format -q talkvid_nb

# the line discipline (also part of `make test`): no ;-joined statements, lines <= 120 characters
lint: setup
	$(BIN)/ruff check talkvid_nb nbs benchmarks sweeps tests && $(BIN)/ruff format --check talkvid_nb nbs benchmarks sweeps tests

clean-cache:
	rm -rf data/.cache
