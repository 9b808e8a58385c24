#!/usr/bin/env bash
# The test suite: unit tests, then integration tests against the real RabbitMQ,
# PostgreSQL, koji client and consumer processes that the fixtures start.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
"$VENV/bin/ruff" check . || exit 1
"$VENV/bin/pytest" "$@"
status=$?
if [ $status -eq 5 ]; then
    echo "run-tests: pytest collected no tests; a suite that tests nothing is a failure" >&2
    exit 1
fi
exit $status
