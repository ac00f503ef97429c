#!/usr/bin/env bash
# Node.js >= 20 and the npm packages of the test oracles, for `make test`.
#   usage: node.sh <cache dir> [package dir ...]
# Prints the directory holding a `node` >= 20, to put first on PATH (the Shopify oracle,
# npm @shopify/shopify-api 13, needs Node 20). The system node is used when new enough; otherwise
# the official Node binary is installed from the npm registry (package node-linux-<arch>, pinned
# below) into the cache, once. Each package dir gets `npm ci` (exact versions from its
# package-lock.json) whenever its lock file is newer than its node_modules. Messages go to stderr.
set -euo pipefail

CACHE=${1:?usage: node.sh <cache dir> [package dir ...]}
shift
NODE_VERSION=20.20.2
export npm_config_cache="$CACHE/npm"

say() { echo "$@" >&2; }
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "==> installing Node.js and npm from Debian (npm fetches the test oracles)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    say "error: npm is missing: install Node.js and npm (e.g. sudo apt-get install nodejs npm) and run make again"
    exit 1
  fi
fi

if command -v node >/dev/null 2>&1 && [ "$(major node)" -ge 20 ]; then
  bin=$(dirname "$(command -v node)")
else
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) say "error: no Node $NODE_VERSION binary package for $(uname -m); install Node.js >= 20"; exit 1 ;;
  esac
  prefix="$CACHE/tools/node-$NODE_VERSION"
  bin="$prefix/node_modules/node-linux-$arch/bin"
  if [ ! -x "$bin/node" ]; then
    say "==> installing Node $NODE_VERSION (npm package node-linux-$arch) into $prefix"
    npm install -s --prefix "$prefix" --no-save --no-audit --no-fund "node-linux-$arch@$NODE_VERSION" >&2
  fi
fi

for dir in "$@"; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "==> npm ci in $dir"
    (cd "$dir" && PATH="$bin:$PATH" npm ci -s --ignore-scripts --no-audit --no-fund >&2)
  fi
done

echo "$bin"
