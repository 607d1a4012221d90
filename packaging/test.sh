#!/usr/bin/env bash
# Set up whatever the tests need, then run the whole suite (lint, architecture, tests).
# This is the README's second command; CI runs it through .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh --no-run --dev
export QT_QPA_PLATFORM=offscreen
# Tests never touch the real user's settings or models.
export JAZBA_DATA_DIR="${JAZBA_TEST_DATA_DIR:-$(pwd)/.jazba-data/test}"
export JAZBA_CONFIG_DIR="$JAZBA_DATA_DIR/config"
echo "==> ruff" >&2
.venv/bin/ruff check desktop_app tests benchmarks resources
echo "==> import contracts (the core stays free of Qt and PyTorch)" >&2
.venv/bin/lint-imports
echo "==> pytest" >&2
.venv/bin/python -m pytest "$@"
