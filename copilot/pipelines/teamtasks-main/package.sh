#!/usr/bin/env bash
# One packaged environment and service per pipeline stage, for the deploy actions: Copilot
# writes <env>.env.yml and <env>.env.params.json (env package) and api-<env>.stack.yml and
# api-<env>.params.json (svc package) into infrastructure/, and uploads the addons and their
# assets. --force gives the environment stack a new LastForceDeployID, so every release updates
# it and CloudFormation resolves its dynamic references (the environment settings in SSM) again.
set -euo pipefail
cd "$(dirname "$0")/../../.."
manifest=copilot/pipelines/teamtasks-main/manifest.yml
stages="$(.venv/bin/python -c 'import sys, yaml
print(" ".join(s["name"] for s in yaml.safe_load(open(sys.argv[1]))["stages"]))' "$manifest")"
mkdir -p infrastructure
for env in $stages; do
  ./copilot-linux env package --name "$env" --output-dir infrastructure --upload-assets --force
  ./copilot-linux svc package --name api --env "$env" --output-dir infrastructure \
    --tag "${CODEBUILD_BUILD_NUMBER:-local}-${env}" --upload-assets
done
ls -l infrastructure
