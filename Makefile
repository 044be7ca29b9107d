# arxiv-labeler: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/plugins
DAY ?=
ARXIV_REPLAY_DATA ?= include/replay/arxiv-demo.jsonl
TRAINING_DATA ?= ../shared/data/arxiv-labeled-abstracts.csv
DEMO_MODEL := data/demo-model/arxiv_groups_demo.zip

.PHONY: demo test lint typecheck unit venv demo-model bench clean help

help:
	@echo "make demo        run the DAG for one day on the local stack (DAY=YYYY-MM-DD, ARXIV_REPLAY_DATA=...)"
	@echo "make test        lint, type checks and the whole test suite"
	@echo "make demo-model  build the demo arXiv-group model (cached in data/demo-model)"
	@echo "make bench       classify-stage benchmark (figures + chart in bench/results)"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

$(DEMO_MODEL): | $(VENV)/.installed
	$(PY) -m arxiv_labeler model demo --output-dir data/demo-model $(if $(wildcard $(TRAINING_DATA)),--training-data $(TRAINING_DATA),)

demo-model: $(DEMO_MODEL)

demo: $(VENV)/.installed $(DEMO_MODEL)
	$(PY) -m arxiv_labeler demo --replay-data $(ARXIV_REPLAY_DATA) $(if $(DAY),--day $(DAY),) --model $(DEMO_MODEL)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check plugins dags tests bench
	$(VENV)/bin/ruff format --check plugins dags tests bench

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

test: lint typecheck
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) bench/classify_benchmark.py

clean:
	rm -rf data/demo bench/results .mypy_cache .ruff_cache
