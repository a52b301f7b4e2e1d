#!/usr/bin/env bash
# Installs uv (pinned) into .tools/ and the locked Python dependencies into .venv/.
set -euo pipefail
UV_VERSION=0.13.9
cd "$(dirname "$0")/.."

if [ ! -x .tools/bin/uv ] || [ "$(.tools/bin/uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  echo "[venv] installing uv ${UV_VERSION}"
  python3 -m venv .tools
  .tools/bin/pip install -q "uv==${UV_VERSION}"
fi
# Never download a Python: the machine's python3 (3.11) is the one.
export UV_PYTHON_DOWNLOADS=never UV_PYTHON=${UV_PYTHON:-python3}
.tools/bin/uv sync --frozen --quiet --compile-bytecode
