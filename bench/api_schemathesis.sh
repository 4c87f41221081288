#!/usr/bin/env bash
# Bounded schemathesis run against a live local server (issue 7). Run by hand; it installs
# schemathesis into its own venv so the app's requirements stay lean.
#   bash bench/api_schemathesis.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-180}
py=${PYTHON:-.venv/bin/python}
[ -x .st-venv/bin/schemathesis ] || { python3 -m venv .st-venv && .st-venv/bin/pip install -q schemathesis; }
export CHEMVIZ_SERVER_DIR=$(mktemp -d)
# the fuzzer signs in with random credentials thousands of times: without these, the sign-in
# lockout (issue 18) would shut its own Basic account out after a few seconds
export CHEMVIZ_LOCKOUT_FAILURES=1000000 CHEMVIZ_LOCKOUT_ADDRESS_FAILURES=1000000 \
  CHEMVIZ_THROTTLE_LOGIN=100000/min CHEMVIZ_THROTTLE_TOKEN=100000/min CHEMVIZ_THROTTLE_EXPORT=100000/min \
  CHEMVIZ_UPLOADS_PER_USER=4
echo 'Schema-test-pass-1' | $py main.py adduser st-admin --role admin --password-stdin
$py main.py serve --port 8799 > "$CHEMVIZ_SERVER_DIR/serve.log" 2>&1 &
pid=$!
trap 'kill $pid' EXIT
sleep 4
for i in 1 2 3; do  # something for the {id} endpoints to find
  curl -s -o /dev/null -u st-admin:Schema-test-pass-1 -F file=@chemviz_desktop/resources/sample_equipment.csv \
    http://127.0.0.1:8799/api/v1/analytics/csv/upload/
done
# positive_data_acceptance is left out: a schema cannot say which bytes are a valid CSV or
# which username/password pair exists, so random "valid" uploads and logins are rightly refused.
.st-venv/bin/schemathesis run 'http://127.0.0.1:8799/api/v1/schema/?format=json' \
  -a st-admin:Schema-test-pass-1 --checks all --exclude-checks positive_data_acceptance \
  --max-time "$secs" -w 2
