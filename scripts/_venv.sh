# Shared by scripts/run and scripts/test: a project venv with the locked requirements.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
# ensure_venv LOCK: install LOCK (requirements.lock or requirements-dev.lock: every package pinned
# with its hashes, made by scripts/lock) unless it is unchanged since the last install.
ensure_venv() {
  local lock="$1"
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
  fi
  local stamp=".venv/.installed-$(basename "$lock")"
  if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ]; then
    rm -f .venv/.installed-*  # the other lock's install is no longer what the venv holds
    # (this machine's pip config names local mirrors that may be absent: hide that noise only)
    .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps \
      -r "$lock" 2>&1 | { grep -v "^WARNING: Location '" || true; }
    touch "$stamp"
  fi
}
