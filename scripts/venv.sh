# Sourced by scripts/run and scripts/test: create .venv with Python 3.11+ and install the
# project with its dev tools; reinstall only when pyproject.toml changed.
PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PY="$candidate"; break; fi
  done
fi
if [[ -z "$PY" ]] || ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "circlebot needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  echo "== creating .venv with $PY"
  "$PY" -m venv .venv
fi
stamp=".venv/.circlebot-installed"
if [[ ! -f "$stamp" ]] || [[ pyproject.toml -nt "$stamp" ]]; then
  echo "== installing circlebot and its tools into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  touch "$stamp"
fi
