# Quick start: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed

.PHONY: install data-deps demo test lint bench clean

# Debian packages whose files the text datasets (fortunes-lang, fortunes-topic) read.
FORTUNE_PKGS := fortunes fortunes-de fortunes-it fortunes-es fortunes-br
# Debian's Chromium (/usr/bin/chromium): the report test opens the HTML report in it, headless.
BROWSER_PKGS := chromium

# torch first, pinned, so pip takes the CPU wheel and never resolves a CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/gdlab compare

# Free when installed (dpkg -s); installs with apt-get as root; otherwise says what to run
# and carries on (the fortunes tests, or the report's browser test, then skip).
data-deps:
	@if dpkg -s $(FORTUNE_PKGS) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing $(FORTUNE_PKGS)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FORTUNE_PKGS) >/dev/null \
			|| echo "warning: could not install $(FORTUNE_PKGS); fortunes tests will skip"; \
	else \
		echo "note: fortunes datasets need: sudo apt-get install -y $(FORTUNE_PKGS) (tests skip without)"; \
	fi
	@if dpkg -s $(BROWSER_PKGS) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing $(BROWSER_PKGS)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PKGS) >/dev/null \
			|| echo "warning: could not install $(BROWSER_PKGS); the report browser test will skip"; \
	else \
		echo "note: the report browser test needs: sudo apt-get install -y $(BROWSER_PKGS) (it skips without)"; \
	fi

test: $(STAMP) data-deps
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

# the reference libraries (hmmlearn, pomegranate) come with the bench extra
bench: $(STAMP)
	$(PIP) install --quiet -e ".[dev,bench]"
	$(PY) benchmarks/bench_naive_bayes.py
	$(PY) benchmarks/bench_mixture.py
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) benchmarks/bench_hmm.py --repeats 3
	$(PY) benchmarks/bench_trainer.py --repeats 3
	$(PY) benchmarks/bench_gpt.py --texts 600 --epochs 1 --repeats 3
	$(PY) benchmarks/bench_ngram.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
