#!/usr/bin/env bash
# Builds (or reuses) the Python venv that the Ray bridge runs in: Python 3.11 with
# ray==2.58.0 and nothing else of ours. The venv lives outside git (default
# <repo>/.venv-ray; override with RAY_VENV=<dir>). The wheel comes from the index
# mirrors and find-links that pip is configured with on this machine (read from
# `pip config list`); the first configured index is passed as --index-url so pip never
# waits on an index it cannot reach. Prints the venv's python path on the last line.
#
# Usage: scripts/ray-venv.sh            # build or reuse
#        RAY_VENV=/tmp/v scripts/ray-venv.sh
set -euo pipefail

RAY_VERSION="${RAY_VERSION_PIN:-2.58.0}" # override only to test the failure path
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${RAY_VENV:-$repo/.venv-ray}"
started=$(date +%s.%N)

log() { echo "ray-venv: $*" >&2; }
fail() { echo "ray-venv: ERROR: $*" >&2; exit 1; }
elapsed() { awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

has_ray() {
  [ -x "$venv/bin/python" ] &&
    "$venv/bin/python" -c "import sys, importlib.metadata as m; sys.exit(0 if m.version('ray') == '$RAY_VERSION' else 1)" \
      >/dev/null 2>&1
}

if has_ray; then
  log "reusing $venv (ray $RAY_VERSION) in $(elapsed) s"
  echo "$venv/bin/python"
  exit 0
fi

# The ray wheel we pin is built for CPython 3.11.
python=""
for candidate in "${RAY_PYTHON:-}" python3.11 python3; do
  [ -n "$candidate" ] || continue
  if command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
    python="$("$candidate" -c 'import sys; print(sys.executable)')"
    break
  fi
done
[ -n "$python" ] || fail "Python 3.11 not found (ray $RAY_VERSION is pinned to its cp311 wheel); set RAY_PYTHON=<python3.11>"

# Index mirrors and find-links as configured for pip (`key='value'` lines; values may
# hold several space-separated URLs).
config="$("$python" -m pip config list 2>/dev/null || true)"
config_values() {
  printf '%s\n' "$config" | grep -E "^[^=]*\.($1)=" | sed -E "s/^[^=]*=//; s/^'(.*)'$/\1/; s/^\"(.*)\"$/\1/" | tr ' ' '\n' | grep -v '^$' | awk '!seen[$0]++' || true
}
mapfile -t indexes < <(config_values 'index-url|extra-index-url')
mapfile -t links < <(config_values 'find-links')
[ "${#indexes[@]}" -gt 0 ] || [ "${#links[@]}" -gt 0 ] ||
  fail "pip has no configured index mirror or find-links (see 'pip config list'); cannot locate the ray $RAY_VERSION wheel"

args=()
if [ "${#indexes[@]}" -gt 0 ]; then
  args+=(--index-url "${indexes[0]}")
  for url in "${indexes[@]:1}"; do args+=(--extra-index-url "$url"); done
else
  args+=(--no-index)
fi
for url in "${links[@]}"; do args+=(--find-links "$url"); done

log "creating $venv with $python"
rm -rf "$venv"
# No pip inside the venv (ensurepip costs seconds): the base interpreter's pip installs into it.
"$python" -m venv --without-pip "$venv" || fail "could not create the venv at $venv"
pip_log="$(mktemp)"
if ! "$python" -m pip --python "$venv/bin/python" install --disable-pip-version-check --no-input --quiet \
  "${args[@]}" "ray==$RAY_VERSION" >"$pip_log" 2>&1; then
  cat "$pip_log" >&2
  rm -f "$pip_log"
  rm -rf "$venv"
  fail "could not install ray==$RAY_VERSION (cp311 wheel) from the configured mirrors (${indexes[*]:-none}; find-links ${links[*]:-none}). Is the wheel in the mirror?"
fi
rm -f "$pip_log"
has_ray || fail "ray $RAY_VERSION is not importable from $venv after installing"
log "built $venv (ray $RAY_VERSION) in $(elapsed) s"
echo "$venv/bin/python"
