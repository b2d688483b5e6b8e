# Sourced by a post-deployment action: take the environment's manager role (the only role
# Copilot lets these actions assume), found by its export, for the rest of the build.
set -euo pipefail
export_name="${COPILOT_APPLICATION_NAME}-${COPILOT_ENVIRONMENT_NAME}-EnvironmentManagerRoleARN"
role="$(aws cloudformation list-exports --query "Exports[?Name=='${export_name}'].Value" --output text)"
if [[ -z "$role" || "$role" == "None" ]]; then
  echo "no export ${export_name}: is the environment deployed?" >&2
  exit 1
fi
credentials="$(aws sts assume-role --role-arn "$role" \
  --role-session-name "pipeline-${COPILOT_ENVIRONMENT_NAME}" --query Credentials --output json)"
AWS_ACCESS_KEY_ID="$(jq -r .AccessKeyId <<<"$credentials")"
AWS_SECRET_ACCESS_KEY="$(jq -r .SecretAccessKey <<<"$credentials")"
AWS_SESSION_TOKEN="$(jq -r .SessionToken <<<"$credentials")"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
set +euo pipefail
