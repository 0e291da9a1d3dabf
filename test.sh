#!/usr/bin/env bash
# Runs every test of the project (the README's test command; .ci/run calls it).
set -euo pipefail
cd "$(dirname "$0")"
"${SETUP:-./scripts/setup.sh}"
dotnet test Moxing.slnx -c Release --nologo "$@"
