#!/usr/bin/env bash
# Known vulnerabilities in what ships: the locked runtime Python dependencies (uv.lock without
# the dev group, as the image installs them) and the browser app's production npm dependencies.
# Both audits need the internet (PyPI's and npm's advisory data), which CodeBuild has.
#
# It fails closed. npm audit fails when its endpoint cannot be reached; pip-audit does not (it
# prints "No known vulnerabilities found" and exits 0), so a canary goes first: a pinned
# requirement with published advisories must be reported, or the audit stops.
#   PIP_AUDIT=path/to/pip-audit UV=path/to/uv tools/audit.sh
set -euo pipefail
cd "$(dirname "$0")/.."
pip_audit="${PIP_AUDIT:?path to pip-audit}"
uv="${UV:?path to uv}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# jinja2 2.10 has advisories (sandbox escape, XSS) that every vulnerability service lists.
echo "jinja2==2.10" >"$work/canary.txt"
"$pip_audit" --no-deps --disable-pip --requirement "$work/canary.txt" >"$work/canary.out" 2>&1 || true
if ! grep -Eq "^jinja2 +2\.10 +(PYSEC|GHSA|CVE)-" "$work/canary.out"; then
  echo "audit: pip-audit reports no advisory for jinja2 2.10, which has several; its vulnerability service is unreachable or broken, so its verdict cannot be trusted" >&2
  sed 's/^/audit:   /' "$work/canary.out" >&2
  exit 1
fi

"$uv" export --locked --no-dev --no-emit-project --format requirements-txt --quiet \
  --output-file "$work/requirements.txt"
echo "audit: Python runtime dependencies ($(grep -c '^[a-z0-9]' "$work/requirements.txt") locked)"
"$pip_audit" --strict --disable-pip --require-hashes --requirement "$work/requirements.txt"

echo "audit: browser app production dependencies"
(cd frontend && npm audit --omit=dev --audit-level=low)
