# Shared by scripts/run and scripts/test: a project venv with pinned requirements.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
ensure_venv() {
  local requirements="$1"
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
  fi
  local stamp=".venv/.installed-$(basename "$requirements")"
  if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    # (this machine's pip config names local mirrors that may be absent: hide that noise only)
    .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements" 2>&1 \
      | { grep -v "^WARNING: Location '" || true; }
    touch "$stamp"
  fi
}
