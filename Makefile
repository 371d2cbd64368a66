# make demo: build .venv, install, render the film into outputs/
# make test: build .venv, install, run the test suite (slow checks: make test-slow)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow bench clean lint-imports

$(STAMP): pyproject.toml
	@# headless OpenGL (EGL + Mesa llvmpipe) for the GPU render path; install it where it is missing
	@ldconfig -p | grep -q libEGL_mesa || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && apt-get install -y -qq libegl1 libegl-mesa0 libgl1-mesa-dri >/dev/null; } || \
		echo "warning: no EGL/Mesa found; the GPU render path will fall back to the CPU"
	@# UDUNITS-2 for the CF checker of the tests (cfchecker -> cfunits loads it with ctypes)
	@ldconfig -p | grep -q libudunits2 || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && apt-get install -y -qq libudunits2-0 >/dev/null; } || \
		echo "warning: no UDUNITS-2 library found; the CF-checker test will be skipped"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@# compile and cache every Numba kernel once (a whole small film; an MP4, so that the writer's
	@# Y'CbCr conversion is among them), so no run pays for it later
	$(PY) -m planet film --out $(VENV)/warmup.mp4 --size 64x36 --resolution 128 --fps 1 --quiet
	rm -f $(VENV)/warmup.mp4
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/planet demo --out outputs

test: $(STAMP) lint-imports
	$(PY) -m pytest -q

# the layers of pyproject.toml's [tool.importlinter], checked on the package as installed (where
# render/ and shaders/ sit inside planet/, as they do for a user)
lint-imports: $(STAMP)
	rm -rf build/importcheck
	$(PY) -m pip install --quiet --no-deps --target build/importcheck . >/dev/null
	cd build/importcheck && PYTHONPATH=. $(abspath $(VENV))/bin/lint-imports --config $(abspath pyproject.toml)

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

bench: $(STAMP)
	$(PY) bench/bench_lithosphere.py
	$(PY) bench/bench_full.py
	$(PY) bench/bench_full.py --paired 8 --resolutions 512 1024
	$(PY) bench/bench_render.py
	$(PY) bench/bench_compile.py

clean:
	rm -rf $(VENV) build *.egg-info
