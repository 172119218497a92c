# resnet-book: `make book` builds the site into _build/html, `make test` builds (cached) and tests.
# Everything runs offline from the registries' packages; CPU only by default (profile "quick").
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
JB := $(VENV)/bin/jupyter-book
# The CPU budget profile for executing chapters, unless the caller exported one.
export RESNET_BOOK_PROFILE ?= quick
# Kernels and scripts import this checkout's helpers/, also in a git worktree whose editable
# install points at another checkout.
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: book book-zh pot i18n-update test pdf venv vendor serve lab clean clean-cache
.DEFAULT_GOAL := book

# Python environment: created when missing, re-synced when requirements/pyproject change.
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

venv: $(VENV)/.installed

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

_vendor/.stamp: node_modules/.package-lock.json scripts/vendor_assets.py $(wildcard scripts/assets/*)
	$(PY) scripts/vendor_assets.py
	touch $@

vendor: venv _vendor/.stamp

# -W: any Sphinx warning (including a failing notebook cell) fails the build;
# --keep-going reports all of them first. --all re-reads every page (executions stay cached), so a
# warning from an earlier failed build is reported again instead of hiding behind Sphinx's
# incremental build. The log is kept for tests/test_book.py.
# The execution cache is _build/.jupyter_cache/<key>, the key a hash of helpers/, the profile and
# the library versions (helpers/core/fingerprint.py): myst-nb hashes only the code cells, so without it
# an edited helpers/ or another profile would be served the old pages.
# A build starts from a clean reports folder: a failed build's tracebacks (reports/*.err.log)
# must not survive into a later, successful one (scripts/sphinx_ext/clean_reports.py does the
# same for a build started without make).
book: venv vendor
	@echo "Building with RESNET_BOOK_PROFILE=$$RESNET_BOOK_PROFILE"
	rm -rf _build/html/reports
	mkdir -p _build
	$(PY) scripts/book_config.py --write-config _build/_config.yml
	time (RESNET_BOOK_PROGRESS=0 $(JB) build . --config _build/_config.yml --all -W --keep-going 2>&1 | tee _build/build.log)
	$(MAKE) --no-print-directory book-zh

# The Chinese edition (issue 20), built by `make book` after the English one: the same
# notebooks and the same execution cache (nothing is executed again), its text from the
# catalogues locale/zh_CN/LC_MESSAGES/chapters/*.po. Built apart (_build/zh/: myst-nb writes
# next to the output folder) and copied to _build/html/zh/. The part captions of the table of
# contents come from the same catalogues (scripts/book_config.py writes _build/_toc.zh_CN.yml).
book-zh: venv vendor
	mkdir -p _build/html
	$(PY) scripts/book_config.py --write-config _build/_config.zh.yml --language zh_CN
	time (RESNET_BOOK_PROGRESS=0 $(JB) build . --config _build/_config.zh.yml --toc _build/_toc.zh_CN.yml \
	  --path-output _build/zh --all -W --keep-going 2>&1 | tee _build/build-zh.log)
	rm -rf _build/html/zh
	cp -a _build/zh/_build/html _build/html/zh

# The English text as gettext templates (_build/pot/_build/gettext/), from the execution cache;
# tests/test_i18n.py checks that the catalogues hold exactly these messages.
pot: venv vendor
	mkdir -p _build
	$(PY) scripts/book_config.py --write-config _build/_config.yml
	RESNET_BOOK_PROGRESS=0 $(JB) build . --config _build/_config.yml --path-output _build/pot \
	  --builder custom --custom-builder gettext --all -W --keep-going > _build/pot.log 2>&1 \
	  || { tail -30 _build/pot.log; exit 1; }

# After an English sentence changed: extract the English text (gettext, from the execution
# cache) and merge it into the catalogues; a changed message turns fuzzy, a new one empty.
# Then translate them (sphinx-intl stat lists what is left) and `make book-zh`.
i18n-update: pot
	$(VENV)/bin/sphinx-intl update -p _build/pot/_build/gettext -l zh_CN -d locale
	$(PY) scripts/i18n_tidy.py
	$(PY) scripts/i18n_sentences.py   # the computed sentences' templates (helpers.core.text.T)
	-$(VENV)/bin/sphinx-intl stat -d locale -l zh_CN | grep -v " 0 fuzzy, 0 untranslated"  # what is left

# The whole book as one PDF, printed by Debian's chromium from the built site (run `make book`
# first; `make test` does): _build/pdf/resnet-book.pdf, also copied to _build/html/resnet-book.pdf
# where the intro page links to it. Needs chromium and poppler-utils (.ci/run installs them).
pdf: venv
	$(PY) scripts/build_pdf.py
	$(PY) scripts/build_pdf.py --language zh_CN

# `pdf` after `book`: the PDF is printed from the site, and tests/test_pdf.py checks it.
# lint-imports checks the package's layer contract (pyproject.toml) before the tests.
test: book pdf pot
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

serve:
	$(PY) -m http.server -d _build/html 8000

# Read and run the chapters locally in JupyterLab (kernel: .venv; JupyterLab installed on first
# use). It opens colab/, the Jupyter-flavoured edition; authors edit chapters/ (MyST).
lab: venv
	test -x $(VENV)/bin/jupyter-lab || $(PY) -m pip install -q jupyterlab
	$(VENV)/bin/jupyter lab colab/

clean:
	rm -rf _build/html _build/jupyter_execute _build/.doctrees _build/pdf _vendor _build/zh _build/pot

clean-cache: clean
	rm -rf _build/.jupyter_cache
