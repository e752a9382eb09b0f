#!/usr/bin/env bash
# PostgreSQL, two app instances and nginx in front, all on loopback, until Ctrl-C:
#   bash deploy/run-local.sh [--instances N] [--as-of YYYY-MM-DD]
# .ci/with-postgres starts a throwaway PostgreSQL (or uses the server DATABASE_URL names);
# deploy/local_cluster.py makes a fresh demo database on it and starts the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash .ci/with-postgres .venv/bin/python -m deploy.local_cluster "$@"
