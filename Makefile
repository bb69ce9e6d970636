# twin — the two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := build/ai-hall.twin.db
# Debian packages for headless rendering (Mesa EGL/GL), Qt's xcb platform plugin and Xvfb; chromium
# renders the HTML review report in a test; openssl makes the certificate the HTTPS telemetry test serves.
DEB_PACKAGES := xvfb xauth x11-utils libgl1 libegl1 libegl-mesa0 libgl1-mesa-dri libglx-mesa0 \
	libxrender1 libxext6 libxi6 libxcursor1 libxrandr2 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 \
	libxkbcommon0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
	libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-cursor0 libxcb-xfixes0 \
	chromium openssl
# The Khronos glTF validator (npm) checks exported GLB files in the tests; node runs it.
GLTF_VALIDATOR := .npm/node_modules/gltf-validator/package.json
PYTEST_ARGS ?=

.PHONY: run test bench venv test-venv system-deps demo clean assets

run: $(DEMO)
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then \
		$(BIN)/twin view $(DEMO); \
	else \
		echo "No display found (DISPLAY is not set), so the viewer cannot open here. The demo design:"; \
		$(BIN)/twin info $(DEMO); \
		echo; \
		echo "Render it headlessly instead:"; \
		echo "  $(BIN)/twin export image $(DEMO) -o out/ai-hall.png --view iso"; \
	fi

$(BIN)/.installed: pyproject.toml setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(BIN)/.installed-test: $(BIN)/.installed
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

venv: $(BIN)/.installed
test-venv: $(BIN)/.installed-test

demo: $(DEMO)
$(DEMO): $(BIN)/.installed scenes/ai-hall.toml twin/specs/catalog.toml
	$(BIN)/twin build scenes/ai-hall.toml -o $(DEMO)

# As root on Debian/Ubuntu: install the packages that are missing. Otherwise say what is needed.
system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing:$$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null; \
	else \
		echo "missing Debian packages (install them as root):$$missing"; \
	fi

$(GLTF_VALIDATOR):
	@if command -v npm >/dev/null; then npm install --silent --prefix .npm gltf-validator; \
	else echo "npm not found: the GLB validator test will say how to install gltf-validator"; fi

# Layer contracts (import-linter, see pyproject.toml), the small ruff rule set and the type check (mypy,
# its files and strictness in pyproject.toml) run first: fast, and a broken layer or a wrong type is
# worth knowing before the long suite.
test: system-deps test-venv $(GLTF_VALIDATOR)
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/mypy
	xvfb-run -a -s "-screen 0 1920x1080x24" $(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: test-venv
	$(BIN)/python benchmarks/run_all.py

assets: venv
	$(BIN)/python -m twin.geometry.assets

clean:
	rm -rf build out .pytest_cache
