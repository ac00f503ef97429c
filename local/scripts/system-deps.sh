#!/usr/bin/env bash
# Check the system tools the local stack builds and runs with; install what is missing from
# Debian's packages when we may (root), otherwise say exactly what to install.
set -euo pipefail

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }

need java openjdk-17-jre-headless
need mvn maven
need go golang-go
need setpriv util-linux
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && [ -z "${ICEFLOE_POSTGRES_BIN_DIR:-}" ]; then
  missing+=(postgresql)
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing from Debian: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "error: missing system packages: ${missing[*]}" >&2
    echo "       install them (e.g. sudo apt-get install ${missing[*]}) and run make again" >&2
    exit 1
  fi
fi

java_major=$(java -version 2>&1 | sed -nE 's/.*version "([0-9]+).*/\1/p' | head -1)
if [ "${java_major:-0}" -lt 17 ]; then
  echo "error: Java 17+ is required, \`java\` is ${java_major:-unknown}; set JAVA_HOME or ICEFLOE_JAVA_HOME" >&2
  exit 1
fi
