# papibot: `make run` starts the bot, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The evaluation tool and its labelled sets live beside the project, not in it (override: make eval SHARED=DIR).
SHARED ?= ../shared
EVAL_TOOL := $(SHARED)/tools/eval_answers.py

.PHONY: run test lint bench eval eval-conversations eval-tool clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/papibot run

test: $(STAMP)
	$(BIN)/ruff check app bot handlers channels knowledge tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check app bot handlers channels knowledge tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.run

eval: eval-tool $(STAMP)
	$(BIN)/python $(EVAL_TOOL) --papibot $(BIN)/papibot

eval-conversations: eval-tool $(STAMP)
	$(BIN)/python $(EVAL_TOOL) --papibot $(BIN)/papibot --conversations tests/data/conversations.tsv

eval-tool:
	@test -f $(EVAL_TOOL) || { \
	  echo "make eval cần công cụ chấm điểm $(EVAL_TOOL) và các bộ câu hỏi có nhãn bên cạnh nó" >&2; \
	  echo "(thư mục shared/ đặt cạnh mã nguồn: tools/eval_answers.py, eval/dev.tsv)." >&2; \
	  echo "Hãy đặt thư mục đó cạnh kho mã, hoặc chỉ chỗ của nó: make eval SHARED=/đường/dẫn/shared" >&2; \
	  exit 2; }

clean:
	rm -rf $(VENV) build *.egg-info
