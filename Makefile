# Set-up and entry points. `make run` and `make test` each build the virtual environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# The pinned torch first: it resolves to the local CPU build where one is provided, and nothing later
	# pulls a different build.
	$(BIN)/pip install -q "torch==2.13.0" 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/pip install -q -e ".[test]" 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import ecomgpt, ray, ahocorasick, torch, transformers, deepspeed"
	touch $@

run: $(BIN)/.installed
	$(BIN)/ecomgpt pipeline --config configs/local.yaml

test: $(BIN)/.installed
	$(BIN)/pytest -q

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/generate_1m.py
	$(BIN)/python benchmarks/train_throughput.py
	$(BIN)/python benchmarks/evaluate_throughput.py
	$(BIN)/python benchmarks/serve_load.py

clean:
	rm -rf $(VENV) runs
