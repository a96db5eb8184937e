# emkit: the commands of the README.
#   make demo   set up .venv if needed, then run the seed examples
#   make test   set up .venv if needed, then run the whole test suite
#   make docs   the documentation site into docs/_build/html (warnings are errors; the
#               gallery re-runs only the examples changed since the last build)
#   make bench  every benchmark of benchmarks/run_all.py into BENCHMARKS.md
#               (BENCH_ARGS="--before REF" adds the emkit of REF side by side)
#   make test-other-cpu  the suite with another processor's arithmetic: numpy's AVX-512
#               loops off, OpenBLAS's Sandy Bridge kernels, numba compiled for AMD Zen 2
#               (on any x86-64 with AVX2; a result that depends on the last bits of
#               one machine's kernels fails)
#   make test-fallbacks  the suite on the numpy fallbacks, numba installed but unused
#               (EMKIT_DISABLE_NUMBA=1); it skips the tests that compare the compiled
#               kernels with their Python source
#   make peer-suites  scikit-learn's and hmmlearn's own test files, imports pointed at
#               emkit's classes (tools/peer_suites.py; fails on a failure not listed
#               there as a difference on purpose)

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-other-cpu test-fallbacks peer-suites docs bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,plot,fast,image,progress,parquet,text,docs]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m emkit demo --out demo-output

test: $(STAMP)
	$(PY) -m pytest -q

test-other-cpu: $(STAMP)
	NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR" OPENBLAS_CORETYPE=Sandybridge \
	NUMBA_CPU_NAME=znver2 $(PY) -m pytest -q

test-fallbacks: $(STAMP)
	EMKIT_DISABLE_NUMBA=1 $(PY) -m pytest -q

peer-suites: $(STAMP)
	$(PY) tools/peer_suites.py

docs: $(STAMP)
	$(PY) -m sphinx -b html -W --keep-going docs docs/_build/html

bench: $(STAMP)
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) demo-output build src/*.egg-info docs/_build docs/generated docs/auto_examples
