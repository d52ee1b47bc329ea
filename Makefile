# Developer targets. CI does not need R: it reads the committed JSON in tests/reference/expected.
PY ?= .venv/bin/python

.PHONY: r-deps references datasets test lint bench docs

r-deps:  ## the R side of the parity harness, from Debian packages (CRAN is not needed)
	apt-get update && apt-get install -y r-base-core r-cran-metafor r-cran-pwr r-cran-nlme r-cran-emmeans \
	  r-cran-metadat r-cran-jsonlite r-cran-mvtnorm r-cran-sandwich r-cran-mass r-cran-clubsandwich r-cran-rpact

references:  ## regenerate every R reference (needs r-base-core r-cran-metafor r-cran-pwr r-cran-nlme r-cran-emmeans r-cran-rpact)
	cd tests/reference/r && for f in [!_]*.R; do \
	  if [ "$$f" = longpower_mmrm.R ] && ! Rscript -e 'library(longpower)' >/dev/null 2>&1; then \
	    echo "skip $$f: longpower is not installed (not a Debian package; see tests/reference/README.md)"; continue; fi; \
	  echo "Rscript $$f"; Rscript "$$f" || exit 1; done

datasets:  ## rebuild the shipped datasets from data/raw
	$(PY) data/build_datasets.py

test:
	$(PY) -m pytest

lint:
	$(PY) -m ruff check retrostats tests

bench:
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

docs:  ## the documentation (API reference + tutorials), warnings as errors; needs the docs extra
	$(PY) -m sphinx -W -b html docs docs/_build/html
