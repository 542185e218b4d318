#!/usr/bin/env bash
# Create the peers venv and install the REAL peer packages (issue #17).
#   PGORACLE_PEERS_VENV  venv path (default: <repo>/target/peers-venv)
#   PGORACLE_PEERS_PYTHON  interpreter to build the venv from (default: python3)
# torch is tried from the PyTorch CPU wheel index first (much smaller), then from PyPI.
# Re-running on an existing venv with the right versions does nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${PGORACLE_PEERS_VENV:-$root/target/peers-venv}"
py="${PGORACLE_PEERS_PYTHON:-python3}"

SB3=2.9.2
SB3C=2.9.2
TORCH='torch==2.15.*'

if [ ! -x "$venv/bin/python" ]; then
  echo "setup.sh: creating venv $venv" >&2
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
fi
pyv="$venv/bin/python"

have() { "$pyv" - "$@" <<'PY' 2>/dev/null
import sys, importlib.metadata as m
want = dict(a.split("=", 1) for a in sys.argv[1:])
for k, v in want.items():
    got = m.version(k)
    if not (got == v or (v.endswith("*") and got.startswith(v[:-1]))):
        sys.exit(1)
PY
}

if have torch=2.15.* stable-baselines3=$SB3 sb3-contrib=$SB3C; then
  echo "setup.sh: venv already has the pinned peers" >&2
else
  # 1) torch, CPU build if the CPU index is reachable, otherwise whatever PyPI serves.
  if ! have torch=2.15.*; then
    if ! "$pyv" -m pip install --quiet --retries 0 --timeout 15 --index-url https://download.pytorch.org/whl/cpu "$TORCH"; then
      echo "setup.sh: CPU wheel index not reachable, installing torch from PyPI" >&2
      "$pyv" -m pip install --quiet "$TORCH"
    fi
  fi
  # 2) the SB3 stack from PyPI (torch already satisfied, not reinstalled).
  "$pyv" -m pip install --quiet "stable-baselines3==$SB3" "sb3-contrib==$SB3C" gymnasium numpy mpmath
fi

# Record exactly what is installed.
"$pyv" -m pip freeze --all | grep -v '^pip=' | sort > "$here/requirements.lock.tmp"
mv "$here/requirements.lock.tmp" "$here/requirements.txt"
"$pyv" - <<'PY'
import importlib.metadata as m, sys
for k in ("torch", "stable-baselines3", "sb3-contrib", "gymnasium", "numpy", "mpmath"):
    print(f"  {k} {m.version(k)}", file=sys.stderr)
PY
echo "$venv"
