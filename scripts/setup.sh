#!/usr/bin/env bash
# One-time (idempotent) set-up on Debian/Ubuntu: the system packages the notebooks, the HTML
# export and the browser tests need, the npm dependencies, the tslab kernel, the git filter that
# keeps notebook outputs out of git, and JupyterLab in the project's .venv/. Safe to run again:
# it installs only what is missing and re-runs `npm ci` only when package-lock.json or patches/
# changed.
#
#   bash scripts/setup.sh           # everything; if pip cannot install JupyterLab: a loud warning
#   bash scripts/setup.sh --lab     # the same, but failing to install JupyterLab is an error
#   bash scripts/setup.sh --no-lab  # skip .venv/ (the JupyterLab tests then fail, asking for it)
#   bash scripts/setup.sh --reference  # also Debian's python3-torch for reference/ (see the end)
set -euo pipefail
cd "$(dirname "$0")/.."

lab=auto
for arg in "$@"; do
  case "$arg" in
    --lab) lab=required ;;
    --no-lab) lab=skip ;;
    --reference) ;;  # handled at the end of this file
    *) echo "setup: unknown argument '$arg': expected --lab, --no-lab or --reference" >&2; exit 2 ;;
  esac
done

# JupyterLab and the Plotly renderer, pinned: what the JupyterLab tests run (see README).
LAB_PACKAGES=(jupyterlab==4.6.4 plotly==7.1.0)
VENV=.venv
# Written when pip could not install LAB_PACKAGES; the JupyterLab tests read it to skip loudly.
LAB_UNAVAILABLE=$VENV/maml-sine-lab-unavailable.txt

# apt_install WHY PACKAGE...: installs (apt) those of the packages that are missing
apt_install() {
  local why=$1 p sudo=""
  shift
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]} (apt$why)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

APT_PACKAGES=(jupyter-notebook python3-nbconvert python3-nbclient python3-ipykernel python3-nbformat python3-venv chromium fonts-liberation fonts-noto-cjk)
apt_install "" "${APT_PACKAGES[@]}"

# npm ci also applies patches/ (package.json "postinstall": patch-package), so they are part of the stamp
stamp=node_modules/.maml-sine-lock.sha256
want=$(cat package-lock.json patches/* 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi
# The wasm engine's kernels (lib/model/wasmKernelsGenerated.ts, built from wasm/mlp.ts by npm ci's
# postinstall): rebuilt here too when missing or stale, e.g. after a checkout changed the source
# but not package-lock.json
if ! node --import tsx scripts/build-wasm.ts --check 2>/dev/null; then
  echo "setup: npm run build:wasm" >&2
  npm run build:wasm
fi
TSLAB=$PWD/node_modules/.bin/tslab
# what kernel.json runs: tslab, from the kernel snapshot when it is current (scripts/tslab-kernel)
KERNEL=$PWD/scripts/tslab-kernel
# The kernel snapshot (scripts/kernel-snapshot.cjs, built by npm ci's postinstall): rebuilt here
# when missing, built for another folder or Node, or older than a file of lib/ or notebooks/ (a
# kernel would parse those again: correct, only slower)
blob=node_modules/.cache/maml-sine/tslab-kernel.blob
if [ ! -f "$blob" ] || [ "$(cat "$blob.stamp" 2>/dev/null)" != "$(pwd -P) $(node --version)" ] ||
  [ -n "$(find lib notebooks -newer "$blob" \( -name '*.ts' -o -name '*.ipynb' \) -print -quit)" ]; then
  echo "setup: building the kernel snapshot" >&2
  node scripts/kernel-snapshot.cjs build
fi

# The tslab kernel for Debian's Jupyter (/usr/bin/jupyter notebook, nbconvert, npm run report):
# per user, pointing at this checkout. (Re-registered if it points elsewhere.)
registered=$(/usr/bin/python3 -c "from jupyter_client.kernelspec import KernelSpecManager as K; print(K().get_kernel_spec('tslab').argv[0])" 2>/dev/null || true)
if [ "$registered" != "$KERNEL" ]; then
  echo "setup: registering the tslab kernel for /usr/bin/python3 ($KERNEL)" >&2
  "$TSLAB" install --python=/usr/bin/python3 --binary="$KERNEL" --user >/dev/null
fi

# Git stores notebooks without outputs (.gitattributes names the filter; without this config
# git ignores the attribute, so a fresh clone works either way). Outputs stay in the files on disk.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git config filter.strip-notebook-outputs.clean '/usr/bin/python3 scripts/strip_notebook_outputs.py'
fi

# JupyterLab in .venv/ with pip, and the tslab kernel registered inside it (--sys-prefix).
install_lab() {
  local stampfile=$VENV/maml-sine-lab.txt
  local wantlab="${LAB_PACKAGES[*]}"
  if [ ! -x "$VENV/bin/jupyter-lab" ] || [ "$(cat "$stampfile" 2>/dev/null)" != "$wantlab" ]; then
    echo "setup: installing ${LAB_PACKAGES[*]} into $VENV (pip)" >&2
    rm -f "$LAB_UNAVAILABLE"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" || return 1
    local log
    log=$(mktemp)
    if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check --retries 0 --timeout 5 "${LAB_PACKAGES[@]}" >"$log" 2>&1; then
      grep -v '^WARNING: Location' "$log" | tail -n 5 >&2
      { echo "pip could not install ${LAB_PACKAGES[*]} on $(date -u +%FT%TZ):"; grep -v '^WARNING: Location' "$log" | tail -n 5; } > "$LAB_UNAVAILABLE"
      rm -f "$log"
      return 1
    fi
    rm -f "$log"
    echo "$wantlab" > "$stampfile"
  fi
  # always (cheap), so the kernel follows this checkout's tslab
  "$TSLAB" install --python="$PWD/$VENV/bin/python" --binary="$KERNEL" --sys-prefix >/dev/null
  # the save hook that keeps `git status` clean after saving a notebook with its outputs
  # (scripts/jupyter/maml_sine_save_hook.py): importable in .venv, configured for its servers
  local site
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$PWD/scripts/jupyter" > "$site/maml_sine_jupyter.pth"
  # the exporter "HTML, offline (maml-sine)" (scripts/jupyter/maml_sine_export.py) in JupyterLab's
  # export menu: an nbconvert.exporters entry point, declared by a minimal distribution record
  local dist="$site/maml_sine_jupyter-0.1.0.dist-info"
  mkdir -p "$dist"
  printf 'Metadata-Version: 2.1\nName: maml-sine-jupyter\nVersion: 0.1.0\nSummary: maml-sine save hook and offline HTML exporter (scripts/jupyter/)\n' > "$dist/METADATA"
  printf '[nbconvert.exporters]\nmaml_sine_offline = maml_sine_export:OfflineHTMLExporter\n' > "$dist/entry_points.txt"
  # (.venv's jupyter_server_config.json, merged into what is there; config.d/ holds only extensions)
  "$VENV/bin/python" - "$VENV/etc/jupyter/jupyter_server_config.json" <<'PY'
import json, os, sys
path = sys.argv[1]
config = json.load(open(path)) if os.path.exists(path) else {}
config.setdefault('FileContentsManager', {})['post_save_hook'] = 'maml_sine_save_hook.refresh_git_index'
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path + '.tmp', 'w') as f:
    json.dump(config, f, indent=2)
os.replace(path + '.tmp', path)
PY
}
if [ "$lab" != skip ]; then
  if ! install_lab; then
    [ -f "$LAB_UNAVAILABLE" ] || echo "python3 -m venv $VENV failed (Debian: apt-get install python3-venv)" > "$LAB_UNAVAILABLE"
    echo "setup: ================================================================" >&2
    echo "setup: JupyterLab could NOT be installed into $VENV: $(head -n 1 "$LAB_UNAVAILABLE")" >&2
    echo "setup: 'npm run lab' will not work and the JupyterLab tests will be SKIPPED." >&2
    echo "setup: ================================================================" >&2
    [ "$lab" = required ] && exit 1
  fi
fi

lab_version=$("$VENV/bin/jupyter-lab" --version 2>/dev/null | sed 's/^/JupyterLab /' || true)
echo "setup: ready (node $(node --version), $(/usr/bin/python3 -m nbconvert --version 2>/dev/null | sed 's/^/nbconvert /'), ${lab_version:-no JupyterLab}, $(/usr/bin/chromium --version 2>/dev/null))" >&2

# --reference: also what the PyTorch reference needs (reference/README.md): Debian's PyTorch
# and numpy for /usr/bin/python3. Optional; without it the reference's tests skip and say so.
if [[ " $* " == *" --reference "* ]]; then
  apt_install ", for the PyTorch reference" python3-torch python3-numpy
  echo "setup: PyTorch reference: /usr/bin/python3 with torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')" >&2
fi
