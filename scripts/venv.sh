#!/usr/bin/env bash
# Installs uv (pinned) into .tools/ and the locked Python dependencies into .venv/.
# A second run costs a checksum: .venv/.mianbei-synced holds the digest of what the last
# successful sync installed (uv's version, uv.lock, pyproject.toml); when it matches, neither
# uv nor pip is started. A clean checkout has no stamp and syncs everything; `make clean` or
# deleting the stamp forces a sync (e.g. after installing something into .venv by hand).
set -euo pipefail
UV_VERSION=0.13.9
cd "$(dirname "$0")/.."
STAMP=.venv/.mianbei-synced

# Never download a Python: the machine's python3 (3.11) is the one.
export UV_PYTHON_DOWNLOADS=never UV_PYTHON=${UV_PYTHON:-python3}
wanted=$( (echo "uv ${UV_VERSION}"; cat uv.lock pyproject.toml) | sha256sum | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ]; then
  exit 0
fi

if [ ! -x .tools/bin/uv ] || [ "$(.tools/bin/uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  echo "[venv] installing uv ${UV_VERSION}"
  python3 -m venv .tools
  .tools/bin/pip install -q "uv==${UV_VERSION}"
fi
.tools/bin/uv sync --frozen --quiet --compile-bytecode
echo "$wanted" > "$STAMP"
