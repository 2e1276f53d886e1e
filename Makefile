# The two commands of the README, and the benchmark. Each sets up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOME_DIR ?= demo-home
# CometBFT (pinned in node/cometbft/tooling.py) and the ABCI types generated from its proto files.
NETWORK := node/abci/generated/VERSION

.PHONY: demo test bench setup setup-network clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

$(NETWORK): $(STAMP) node/cometbft/tooling.py
	$(BIN)/python -m node.cometbft.tooling

setup-network: $(NETWORK)

demo: $(STAMP)
	$(BIN)/mulu demo --home $(HOME_DIR)

test: $(STAMP) $(NETWORK)
	$(BIN)/python -m pytest -n 2 -q tests

bench: $(STAMP) $(NETWORK)
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) $(HOME_DIR) .pytest_cache .tools node/abci/generated
