#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine needs beyond the .NET 10 SDK. Idempotent.
set -euo pipefail
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
cd "$(dirname "$0")/.."
# PostgreSQL server binaries: the tests start a throwaway cluster (initdb + pg_ctl) to run the key and usage suite on it.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && [ -z "${MOXING_POSTGRES_BIN:-}" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing postgresql"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    # The tests run their own cluster; the package's default one is not needed.
    if command -v pg_lsclusters >/dev/null; then
      pg_lsclusters -h | while read -r version name _; do pg_ctlcluster "$version" "$name" stop 2>/dev/null || true; done
    fi
  else
    echo "setup: PostgreSQL is not installed and cannot be installed here (needs root and apt-get): install the 'postgresql' package" >&2
  fi
fi
dotnet restore Moxing.slnx --nologo -v quiet
