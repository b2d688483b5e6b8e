"""In AWS (COPILOT_ENVIRONMENT_NAME set) every response also carries HSTS; locally it does not
(the local stack is plain http). No AWS call is needed: /healthz checks only the process."""

from __future__ import annotations

import pytest

from app import create_app
from app.config import Settings

AWS_ENVIRONMENT = {
    "AWS_REGION": "eu-west-1",
    "TASKS_TABLE_NAME": "teamtasks-prod-tasks",
    "USER_POOL_ID": "eu-west-1_abcdef123",
    "USER_POOL_CLIENT_ID": "clientid123",
    "CURSOR_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:cursor-AbCdEf",
    "UNSUBSCRIBE_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:unsub-AbCdEf",
}


@pytest.mark.parametrize("in_aws", [True, False])
def test_strict_transport_security_in_aws_only(in_aws):
    environment = dict(AWS_ENVIRONMENT)
    if in_aws:
        environment["COPILOT_ENVIRONMENT_NAME"] = "prod"
    response = create_app(Settings.from_env(environment)).test_client().get("/healthz")
    assert response.status_code == 200
    hsts = response.headers.get("Strict-Transport-Security")
    assert hsts == ("max-age=31536000; includeSubDomains" if in_aws else None)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
