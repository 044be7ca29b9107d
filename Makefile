# arxiv-labeler: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/plugins
DAY ?=
ARXIV_REPLAY_DATA ?= plugins/arxiv_labeler/devstack/replay/arxiv-2008-11-26.jsonl
TRAINING_DATA ?= ../shared/data/arxiv-labeled-abstracts.csv
DEMO_MODEL := data/demo-model/arxiv_groups_demo.zip

.PHONY: demo airflow test lint typecheck unit venv demo-model demo-head bench bench-int8 bench-int8-static bench-scale bench-task bench-ui images compose compose-down clean help

help:
	@echo "make demo        run the DAG for one day on the local stack (DAY=YYYY-MM-DD, ARXIV_REPLAY_DATA=...)"
	@echo "make airflow     the real Airflow services (UI, scheduler, ...) on 127.0.0.1:8080 with the local stack; Ctrl-C stops"
	@echo "make test        lint, type checks and the whole test suite"
	@echo "make demo-model  build the demo arXiv-group model from the committed head (cached in data/demo-model)"
	@echo "make demo-head   retrain the committed head from TRAINING_DATA (default ../shared/data/arxiv-labeled-abstracts.csv)"
	@echo "make bench       classify-stage benchmark (figures + chart in bench/results)"
	@echo "make bench-int8  where int8 loses label agreement on the demo model, and static int8 beside dynamic (bench/results/int8_*.json)"
	@echo "make bench-int8-static  only static (calibrated) int8 beside dynamic (bench/results/int8_static.json)"
	@echo "make bench-task  the classify task's fixed cost on a 2,000-paper int8 day against the bare graph, by phase"
	@echo "make bench-scale cost against papers: classify, harvest, load at 1k..64k, the skip path on 1M labels"
	@echo "make images      the local stand-in images and the project image on them (cached; starts dockerd if needed)"
	@echo "make compose     docker-compose.yaml + docker-compose.standins.yaml on 127.0.0.1, detached, until make compose-down"
	@echo "make compose-down  stop that stack (COMPOSE_VOLUMES=1 also removes its volumes) and the dockerd it started"
	@echo "make bench-ui    the labels page's queries on 1,000,000 papers, DuckDB and PostgreSQL (bench/results/papers_view_benchmark.json)"

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .   # .venv/bin/arxiv-labeler and the entry points
	# The build leaves plugins/arxiv_labeler.egg-info: on sys.path it is a second copy of the entry points.
	rm -rf plugins/arxiv_labeler.egg-info
	$(PY) -m arxiv_labeler spark-class-archive     # Spark's driver classes, recorded once: every later driver starts faster
	touch $@

venv: $(VENV)/.installed

$(DEMO_MODEL): plugins/arxiv_labeler/devstack/demo_model_head/head.npy | $(VENV)/.installed
	$(PY) -m arxiv_labeler model demo --output-dir data/demo-model

demo-model: $(DEMO_MODEL)

# Retrain the committed head (the same data gives the same head, up to BLAS rounding), then rebuild the model.
demo-head: $(VENV)/.installed
	$(PY) -m arxiv_labeler model demo --output-dir data/demo-model --training-data $(TRAINING_DATA) --write-head

demo: $(VENV)/.installed $(DEMO_MODEL)
	$(PY) -m arxiv_labeler demo --replay-data $(ARXIV_REPLAY_DATA) $(if $(DAY),--day $(DAY),) --model $(DEMO_MODEL)

airflow: $(VENV)/.installed $(DEMO_MODEL)
	$(PY) -m arxiv_labeler airflow --replay-data $(ARXIV_REPLAY_DATA) --model $(DEMO_MODEL)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check plugins dags tests bench include
	$(VENV)/bin/ruff format --check plugins dags tests bench include

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy include/docker

test: lint typecheck
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) bench/classify_benchmark.py

bench-int8: $(VENV)/.installed $(DEMO_MODEL)
	$(PY) bench/int8_sensitivity.py
	$(PY) bench/int8_static.py

# Static (calibrated) int8 against the engine's dynamic int8 alone (bench/results/int8_static.json).
bench-int8-static: $(VENV)/.installed $(DEMO_MODEL)
	$(PY) bench/int8_static.py

bench-task: $(VENV)/.installed
	$(PY) bench/classify_task_cost.py

bench-scale: $(VENV)/.installed $(DEMO_MODEL)
	$(PY) bench/scale_benchmark.py

# The deployment on local stand-ins (README: Deploy). Stand-ins are rebuilt only when their inputs change.
images:
	python3 include/docker/dockerd.py start
	python3 include/docker/standin_images.py

compose: $(VENV)/.installed $(DEMO_MODEL)
	$(PY) include/docker/compose_stack.py up

compose-down: $(VENV)/.installed
	$(PY) include/docker/compose_stack.py down $(if $(COMPOSE_VOLUMES),--volumes,)

# The papers view's requests on a generated warehouse of 1,000,000 papers and two models (needs PostgreSQL; about 15 minutes).
bench-ui: $(VENV)/.installed
	$(PY) bench/papers_view_benchmark.py

clean:
	rm -rf data/demo bench/results .mypy_cache .ruff_cache
