# Orpheus firmware: `make image` builds a board's disk image, `make test` runs every test.
BOARD ?= mini
PYTHON ?= python3
VENV := .venv
BUILD := build
export PYTHONPATH := $(CURDIR)/agent:$(CURDIR)

BOARDS := $(notdir $(wildcard board/*))

.PHONY: all image images rootfs bundle check-reproducible host-tools venv test test-update-faults test-unit lint format bench run clean distclean

all: image

## image: the disk image, bmap, SHA256SUMS and manifest.json of BOARD under build/BOARD/
##        (REBUILD_FROM=manifest.json: a release rebuilt offline from its own packages)
image:
	$(PYTHON) -m builder image --board $(BOARD)

## images: every board
images:
	for board in $(BOARDS); do $(PYTHON) -m builder image --board $$board || exit 1; done

## bundle: the signed RAUC update bundle build/orpheus-<version>.raucb (every board)
bundle:
	$(PYTHON) -m builder bundle

## check-reproducible: image and bundle built, rebuilt from the first's manifest, compared bit for bit
check-reproducible:
	$(PYTHON) -m builder check-reproducible

## rootfs: only the shared root filesystem under build/rootfs/
rootfs:
	$(PYTHON) -m builder rootfs

## host-tools: what building and testing need on the host (apt; fast when present)
host-tools:
	$(PYTHON) -m builder host-tools

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

# python3-nftables is Debian's only (not on PyPI): the venv sees that one module, through a
# link in its site-packages to Debian's copy (installed by host-tools; none of Debian's other
# modules become visible).
NFTABLES_MODULE := /usr/lib/python3/dist-packages/nftables
$(VENV)/.nftables: $(VENV)/.installed
	ln -sfn $(NFTABLES_MODULE) "$$($(VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/nftables"
	touch $@

venv: $(VENV)/.installed $(VENV)/.nftables

## test: lint, unit tests, then the image tests (builds the image first, boots it in QEMU).
##       The update walk (tests/update, its own guest, about half the suite's time) runs beside
##       the rest; its output is printed when both are done (and kept in WALK_LOG).
WALK_LOG := $(BUILD)/test-logs/update-walk.out
test: venv host-tools lint image
	mkdir -p $(dir $(WALK_LOG))
	$(VENV)/bin/pytest --board $(BOARD) -p no:cacheprovider --durations=20 tests/update \
		> $(WALK_LOG) 2>&1 & walk=$$!; \
	$(VENV)/bin/pytest --board $(BOARD) --ignore=tests/update --durations=40; rest=$$?; \
	wait $$walk; walk=$$?; \
	echo "===== the update walk (tests/update), run beside the above ====="; cat $(WALK_LOG); \
	echo "rest of the suite: exit $$rest; update walk: exit $$walk"; \
	test $$rest -eq 0 && test $$walk -eq 0

## test-update-faults: only the update walk, with its fault part (never-booting firmware, power cuts)
test-update-faults: venv host-tools lint image
	$(VENV)/bin/pytest --board $(BOARD) tests/update

## test-unit: the fast tier (tests/unit): no image, root, network, QEMU or host tools
test-unit: venv
	$(VENV)/bin/pytest tests/unit -m "not host_tools"

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## bench: build times, sizes, boot time, agent memory -> bench/results.json and results.md
bench: venv host-tools
	$(VENV)/bin/python -m bench --board $(BOARD)

## run: boot the BOARD image in QEMU on a throw-away overlay, console on this terminal
run: venv host-tools
	$(VENV)/bin/python -m testbed.vm --board $(BOARD)

## clean: everything built, but the package cache and the development keys (build/cache, build/keys)
clean:
	rm -rf $(addprefix $(BUILD)/,$(BOARDS) rootfs rootfs.tmp rootfs.stamp rootfs.packages.tsv) \
		$(BUILD)/update-test $(BUILD)/test-logs $(BUILD)/integration

distclean:
	rm -rf $(BUILD) $(VENV)
