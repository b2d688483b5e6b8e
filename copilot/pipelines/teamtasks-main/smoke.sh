#!/usr/bin/env bash
# Smoke tests against a deployed environment, through CloudFront: the browser app (and a deep
# link, which the edge function rewrites to it), the API's public documents, and an authenticated
# endpoint refusing a missing token. No credentials. Run by the pipeline after each stage.
# Usage: smoke.sh https://<the environment's domain>
set -euo pipefail
base="${1:?usage: smoke.sh BASE_URL}"
failures=0

expect() {
  local want="$1" path="$2" got
  got=$(curl --silent --show-error --output /dev/null --write-out '%{http_code}' \
    --max-time 10 --retry 3 --retry-all-errors "${base}${path}") || got="error"
  if [[ "$got" == "$want" ]]; then
    echo "ok    ${path} -> ${got}"
  else
    echo "FAIL  ${path} -> ${got} (wanted ${want})"
    failures=$((failures + 1))
  fi
}

header() {
  local name="$1" path="$2"
  if curl --silent --head --max-time 10 "${base}${path}" | grep -qi "^${name}:"; then
    echo "ok    ${path} has ${name}"
  else
    echo "FAIL  ${path} lacks ${name}"
    failures=$((failures + 1))
  fi
}

body() {
  local path="$1" pattern="$2"
  if curl --silent --max-time 10 "${base}${path}" | grep -q "$pattern"; then
    echo "ok    ${path} has ${pattern}"
  else
    echo "FAIL  ${path} lacks ${pattern}"
    failures=$((failures + 1))
  fi
}

expect 200 /
expect 200 /config.json
expect 200 /workspaces/smoke-test-deep-link
body /workspaces/smoke-test-deep-link '<div id="app"'
body /config.json userPoolId
expect 200 /api/openapi.json
expect 401 /api/v1/me
header strict-transport-security /
header content-security-policy /
header x-content-type-options /api/openapi.json

echo "${failures} failed"
[[ "$failures" -eq 0 ]]
