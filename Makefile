# Set-up in two commands: `make run` (install + web chat) and `make test` (install + all tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install build bench eval browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, from the local CPU wheel: any other version pulls gigabytes of CUDA packages.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test,eval]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/rag build
	$(BIN)/python app.py

build: install
	$(BIN)/rag build

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

test: install browser
	# the optional backends too, so that their tests run (embedded Qdrant, local Ray)
	$(BIN)/pip install --quiet -e ".[test,eval,qdrant,ray]"
	$(BIN)/python -m pytest

eval: install
	$(BIN)/rag eval eval/test.jsonl --report docs/eval

bench: install
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python bench/run.py
	$(BIN)/python bench/scaling.py

clean:
	rm -rf $(VENV) index/build-* index/CURRENT index/.tmp-* .pytest_cache
