#!/usr/bin/env bash
# Runs the PyTorch reference (reference/run.py) with the first python that can import torch
# and numpy, and says which one it uses; or says plainly that torch is missing (exit 3).
#
#   bash reference/python.sh <run.py arguments>   # what `npm run reference -- ...` does
#   bash reference/python.sh --which              # only print the interpreter's path
#
# Candidates, in order: reference/.venv/bin/python (a venv with the pip CPU wheel, see
# reference/README.md); /usr/bin/python3 (Debian's python3-torch); python3 on PATH. Setting
# MAML_PYTHON=/path/to/python makes that the only candidate.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -n "${MAML_PYTHON:-}" ]; then
  candidates=("$MAML_PYTHON")
else
  candidates=("$here/.venv/bin/python" /usr/bin/python3)
  command -v python3 >/dev/null 2>&1 && candidates+=("$(command -v python3)")
fi

found=""
for py in "${candidates[@]}"; do
  if [ -x "$py" ] && "$py" -c 'import torch, numpy' >/dev/null 2>&1; then
    found="$py"
    break
  fi
done

if [ -z "$found" ]; then
  echo "PyTorch reference: torch is missing: no python with torch and numpy among:" \
       "${candidates[*]}. Install it with 'bash scripts/setup.sh --reference' (Debian's" \
       "python3-torch) or see reference/README.md." >&2
  exit 3
fi
if [ "${1:-}" = "--which" ]; then
  echo "$found"
  exit 0
fi
echo "PyTorch reference: using $found" \
     "(torch $("$found" -c 'import torch; print(torch.__version__)'))" >&2
cd "$here/.." && exec "$found" "$here/run.py" "$@"
