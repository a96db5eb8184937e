# emkit: the commands of the README.
#   make demo   set up .venv if needed, then run the seed examples
#   make test   set up .venv if needed, then run the whole test suite
#   make bench  every benchmark of benchmarks/run_all.py into BENCHMARKS.md
#               (BENCH_ARGS="--before REF" adds the emkit of REF side by side)

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,plot,fast,image,progress,parquet,text]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m emkit demo --out demo-output

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) demo-output build src/*.egg-info
