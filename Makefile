# papibot: `make run` starts the bot, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench eval eval-conversations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/papibot run

test: $(STAMP)
	$(BIN)/ruff check bot handlers channels knowledge tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check bot handlers channels knowledge tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.run

eval: $(STAMP)
	$(BIN)/python ../shared/tools/eval_answers.py --papibot $(BIN)/papibot

eval-conversations: $(STAMP)
	$(BIN)/python ../shared/tools/eval_answers.py --papibot $(BIN)/papibot --conversations tests/data/conversations.tsv

clean:
	rm -rf $(VENV) build *.egg-info
