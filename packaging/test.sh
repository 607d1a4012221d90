#!/usr/bin/env bash
# Set up whatever the tests need, then run the whole suite (lint, architecture, tests).
# This is the README's second command; CI runs it through .ci/run.
# Extra arguments go to pytest, e.g. `bash packaging/test.sh tests/core -q`.
set -euo pipefail
cd "$(dirname "$0")/.."
# Tests never touch the real user's data: the setup step installs the default
# model into this throwaway data folder, and the slow tests reuse it from there.
export JAZBA_DATA_DIR="$(pwd)/.jazba-data/test"
export JAZBA_CONFIG_DIR="$JAZBA_DATA_DIR/config"
export JAZBA_PREBUILT_MODELS="$JAZBA_DATA_DIR/models"
bash packaging/setup.sh --no-run --dev
export QT_QPA_PLATFORM=offscreen
echo "==> ruff" >&2
.venv/bin/ruff check desktop_app tests benchmarks resources
echo "==> import contracts (the core stays free of Qt and PyTorch)" >&2
.venv/bin/lint-imports --no-cache
echo "==> pytest" >&2
.venv/bin/python -m pytest "$@"
