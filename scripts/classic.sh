#!/usr/bin/env bash
# npm run classic [-- NOTEBOOK OPTIONS]: Debian's classic notebook (/usr/bin/jupyter notebook,
# installed by scripts/setup.sh) serving the project folder, on 127.0.0.1, with this checkout's
# tslab kernel, and the save hook that keeps `git status` clean after a save
# (scripts/jupyter/maml_sine_save_hook.py). As root it adds --allow-root. It prints the URL
# (with its token) to open.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/jupyter-notebook ]; then
  echo "classic: Debian's jupyter-notebook is missing: run 'bash scripts/setup.sh' first" >&2
  exit 1
fi
args=(--ip=127.0.0.1 --no-browser --notebook-dir="$PWD"
  --FileContentsManager.post_save_hook=maml_sine_save_hook.refresh_git_index)
[ "$(id -u)" -eq 0 ] && args+=(--allow-root)
export PYTHONPATH="$PWD/scripts/jupyter${PYTHONPATH:+:$PYTHONPATH}"
echo "classic: Jupyter Notebook $(/usr/bin/jupyter-notebook --version) on $PWD; open the http://127.0.0.1:... URL printed below" >&2
exec /usr/bin/jupyter-notebook "${args[@]}" "$@"
