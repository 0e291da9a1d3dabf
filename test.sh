#!/usr/bin/env bash
# Runs every test of the project (the README's test command; .ci/run calls it).
set -euo pipefail
cd "$(dirname "$0")"
"${SETUP:-./scripts/setup.sh}"
# The key and usage suite must also run on a real PostgreSQL: fail, not skip, when it cannot start.
export MOXING_REQUIRE_POSTGRES="${MOXING_REQUIRE_POSTGRES:-1}"
dotnet test Moxing.slnx -c Release --nologo "$@"
