#!/usr/bin/env bash
# The build's preconditions, checked before anything is installed: the pinned runtimes are recent
# enough, and the source is a real checkout. A CODE_ZIP source artifact turns symlinks into small
# text files, so the linked addons folders would be missing and Copilot would package the service
# and the environment without their addons; with CODEBUILD_CLONE_REF they are folders.
set -euo pipefail
failures=0

fail() {
  echo "check-build: $*" >&2
  failures=$((failures + 1))
}

node -e 'const [a, b] = process.versions.node.split(".").map(Number);
  process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  fail "Node.js >= 20.19 needed (vite), found $(node --version)"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  fail "Python >= 3.11 needed, found $(python3 --version)"

for folder in copilot/api/addons copilot/environments/addons; do
  if [[ ! -d "$folder" ]]; then
    fail "$folder is not a folder (a zipped source artifact? the pipeline needs CODEBUILD_CLONE_REF)"
  elif ! compgen -G "$folder/*.yml" >/dev/null; then
    fail "$folder holds no templates"
  fi
done

[[ "$failures" -eq 0 ]]
