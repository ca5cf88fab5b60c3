#!/usr/bin/env bash
# npm run lab [-- JUPYTERLAB OPTIONS]: JupyterLab from .venv/ (bash scripts/setup.sh installs it),
# serving the project folder (notebooks/ and reports/ both reachable), on 127.0.0.1, with this
# checkout's tslab kernel first in the kernel search path (a kernel registered for another
# checkout must not win). As root it adds --allow-root. It prints the URL (with its token) to open.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/jupyter-lab ]; then
  if [ -f .venv/maml-sine-lab-unavailable.txt ]; then
    echo "lab: JupyterLab is not installed: $(head -n 1 .venv/maml-sine-lab-unavailable.txt)" >&2
  fi
  echo "lab: run 'bash scripts/setup.sh --lab' first (it installs JupyterLab into .venv/)" >&2
  exit 1
fi
args=(--ip=127.0.0.1 --no-browser --ServerApp.root_dir="$PWD")
[ "$(id -u)" -eq 0 ] && args+=(--allow-root)
export JUPYTER_PATH="$PWD/.venv/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
echo "lab: JupyterLab $(.venv/bin/jupyter-lab --version) on $PWD; open the http://127.0.0.1:... URL printed below" >&2
exec .venv/bin/jupyter-lab "${args[@]}" "$@"
