# emkit: the commands of the README.
#   make demo   set up .venv if needed, then run the seed examples
#   make test   set up .venv if needed, then run the whole test suite
#   make docs   the documentation site into docs/_build/html (warnings are errors; the
#               gallery re-runs only the examples changed since the last build)
#   make bench  every benchmark of benchmarks/run_all.py into BENCHMARKS.md
#               (BENCH_ARGS="--before REF" adds the emkit of REF side by side)

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test docs bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,plot,fast,image,progress,parquet,text,docs]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m emkit demo --out demo-output

test: $(STAMP)
	$(PY) -m pytest -q

docs: $(STAMP)
	$(PY) -m sphinx -b html -W --keep-going docs docs/_build/html

bench: $(STAMP)
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) demo-output build src/*.egg-info docs/_build docs/generated docs/auto_examples
