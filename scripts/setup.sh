#!/usr/bin/env bash
# One-time (idempotent) set-up on Debian/Ubuntu: the system packages the notebooks, the HTML
# export and the browser test need, then the npm dependencies. Safe to run again: it installs
# only what is missing and re-runs `npm ci` only when package-lock.json changed.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(jupyter-notebook python3-nbconvert python3-nbclient python3-ipykernel python3-nbformat chromium fonts-liberation fonts-noto-cjk)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]} (apt)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

stamp=node_modules/.maml-sine-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi
echo "setup: ready (node $(node --version), $(/usr/bin/jupyter nbconvert --version 2>/dev/null | sed 's/^/nbconvert /'), $(/usr/bin/chromium --version 2>/dev/null))" >&2
