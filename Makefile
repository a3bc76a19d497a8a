# Thin wrappers around kit.py, for people who type `make`. Nothing here is needed:
# `python kit.py lab` and `python kit.py test` do the same on every platform.
#   make lab                 open the notebooks in JupyterLab
#   make test                run every test
#   make test ARGS="-x -k close"   extra pytest arguments
PYTHON ?= python3
ARGS ?=

.PHONY: lab test doctor

lab:
	$(PYTHON) kit.py lab $(ARGS)

test:
	$(PYTHON) kit.py test $(ARGS)

doctor:
	$(PYTHON) kit.py doctor $(ARGS)
