#!/usr/bin/env bash
# Regenerate the peer recordings tests/peers/*.json with the REAL peers (issue #17).
# Needs torch (~5.4 GB venv, ~2 min to install from PyPI), so .ci/run calls it only when
# PGORACLE_PEERS=1.
#   regenerate.sh          rewrite tests/peers/*.json and tools/peers/probe_torch.out in place
#   regenerate.sh --check  record into a temporary folder and fail (exit 1) unless the result is
#                          byte-identical to the committed recordings (what CI runs)
# Env: PGORACLE_PEERS_VENV (default <repo>/target/peers-venv), PGORACLE_PEERS_PYTHON.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
check=0
[ "${1:-}" = "--check" ] && check=1

venv="$(bash "$here/setup.sh" | tail -n 1)"
py="$venv/bin/python"

if [ "$check" = 1 ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
else
  out="$root/tests/peers"
fi

"$py" "$here/record.py" --out "$out"
"$py" "$here/selfcheck.py" "$out"
"$py" "$here/probe_torch.py" | sed "s|$venv/lib/python[0-9.]*/site-packages/|<site-packages>/|" > "$out/probe_torch.out"

if [ "$check" = 1 ]; then
  status=0
  for f in sb3_trpo.json sb3_ppo.json torch.json explain.json; do
    if ! cmp -s "$out/$f" "$root/tests/peers/$f"; then
      echo "regenerate.sh: tests/peers/$f differs from what the peers compute now" >&2
      status=1
    fi
  done
  if ! cmp -s "$out/probe_torch.out" "$here/probe_torch.out"; then
    echo "regenerate.sh: probe_torch.py output changed (see tools/peers/probe_torch.out)" >&2
    status=1
  fi
  [ "$status" = 0 ] && echo "regenerate.sh: recordings reproduced byte for byte" >&2
  exit "$status"
else
  mv "$out/probe_torch.out" "$here/probe_torch.out"
fi
