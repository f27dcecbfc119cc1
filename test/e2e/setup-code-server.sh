#!/usr/bin/env bash
# Installs the end-to-end test host: code-server 4.100.3 (VS Code 1.100 on Node 20) from the
# npm registry, its native modules built here, and playwright-core; Debian's Chromium drives it.
# VS Code's own downloads are unreachable here, so the install scripts are skipped and their
# work done by hand. Cached in .tools/ (git-ignored): a second run takes a second.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS="$PWD/.tools"
VERSION=4.100.3
MARKER="$TOOLS/.code-server-$VERSION-ready"

need_apt=()
for pkg in libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup-code-server: apt-get install ${need_apt[*]}"
  if [ "$(id -u)" != 0 ]; then echo "setup-code-server: run as root, or install: ${need_apt[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ -f "$MARKER" ]; then
  echo "setup-code-server: code-server $VERSION ready in $TOOLS"
  exit 0
fi

echo "setup-code-server: installing code-server $VERSION into $TOOLS (about two minutes)"
mkdir -p "$TOOLS"
cd "$TOOLS"
[ -f package.json ] || echo '{ "name": "premem-test-tools", "private": true }' > package.json
npm install --ignore-scripts --no-audit --no-fund --loglevel=error "code-server@$VERSION"
npm_config_yes=true npm rebuild argon2 --build-from-source --loglevel=error

cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
# @vscode/ripgrep's postinstall downloads rg from GitHub; it skips when bin/ exists.
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm_config_yes=true npm rebuild --loglevel=error
ln -sfn node_modules node_modules.asar
ln -sf code-linux.sh bin/remote-cli/code-server
ln -sf browser-linux.sh bin/helpers/browser.sh
(cd extensions && npm install --omit=dev --no-audit --no-fund --loglevel=error)

touch "$MARKER"
echo "setup-code-server: done"
