#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine needs beyond the .NET 10 SDK. Idempotent.
set -euo pipefail
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
cd "$(dirname "$0")/.."
dotnet restore Moxing.slnx --nologo -v quiet
