from __future__ import annotations

import pytest

from app.config import ConfigError, Settings

VALID = {
    "AWS_REGION": "eu-west-1",
    "TASKS_TABLE_NAME": "teamtasks-dev-tasks",
    "USER_POOL_ID": "eu-west-1_AbC123",
    "USER_POOL_CLIENT_ID": "2abc3def",
    "CURSOR_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:/x/y-AbCdEf",
    "UNSUBSCRIBE_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:/x/u-AbCdEf",
}


def problems(environ) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(environ)
    return caught.value.problems


def test_a_valid_environment_gives_settings_with_safe_defaults():
    settings = Settings.from_env(VALID)
    assert settings.environment == "local"
    assert not settings.running_in_aws
    assert settings.audit_retention_days == 365
    assert settings.user_pool_client_ids == ("2abc3def",)
    assert settings.token_issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    assert settings.jwks_url == (
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json"
    )
    assert settings.aws_endpoint_url is None


def test_every_missing_setting_is_named_at_once():
    names = [p.split(":")[0] for p in problems({})]
    assert names == [
        "AWS_REGION",
        "USER_POOL_ID",
        "TASKS_TABLE_NAME",
        "USER_POOL_CLIENT_ID",
        "CURSOR_SECRET_ARN",
        "UNSUBSCRIBE_SECRET_ARN",
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AWS_REGION", "moon-1"),
        ("USER_POOL_ID", "nonsense"),
        ("USER_POOL_ID", "us-east-1_AbC123"),
        ("USER_POOL_CLIENT_ID", "bad id!"),
        ("CURSOR_SECRET_ARN", "arn:aws:s3:::bucket"),
        ("UNSUBSCRIBE_SECRET_ARN", "arn:aws:s3:::bucket"),
        ("MAX_INVITATIONS_PER_DAY", "0"),
        ("MAX_PENDING_INVITATIONS", "1001"),
        ("MAX_COMMENTS_PER_TASK", "many"),
        ("AUDIT_RETENTION_DAYS", "0"),
        ("AUDIT_RETENTION_DAYS", "ten"),
        ("LOG_LEVEL", "LOUD"),
        ("AWS_ENDPOINT_URL", "localhost:4566"),
        ("AWS_READ_TIMEOUT", "0"),
        ("FRONTEND_DIR", "/nonexistent"),
    ],
)
def test_an_invalid_value_names_its_variable(name, value):
    found = problems({**VALID, name: value})
    assert found[0].startswith(f"{name}:")
    assert all(problem.startswith((name, "USER_POOL_ID")) for problem in found)


def test_in_aws_an_emulator_endpoint_is_refused():
    environ = {**VALID, "COPILOT_ENVIRONMENT_NAME": "prod", "AWS_ENDPOINT_URL": "http://x:4566"}
    assert problems(environ) == [
        "AWS_ENDPOINT_URL: must not be set in AWS (COPILOT_ENVIRONMENT_NAME is set)"
    ]
    environ = {
        **VALID,
        "COPILOT_ENVIRONMENT_NAME": "prod",
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": "http://evil:4566",
    }
    assert problems(environ)[0].startswith("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER:")


def test_in_aws_the_jwks_is_cognitos():
    settings = Settings.from_env({**VALID, "COPILOT_ENVIRONMENT_NAME": "prod"})
    assert settings.running_in_aws
    assert settings.environment == "prod"
    assert settings.jwks_url.startswith("https://cognito-idp.eu-west-1.amazonaws.com/")


def test_locally_the_emulator_serves_jwks_and_per_service_endpoints_win():
    settings = Settings.from_env(
        {
            **VALID,
            "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9999",
        }
    )
    assert settings.jwks_url == "http://127.0.0.1:4566/eu-west-1_AbC123/.well-known/jwks.json"
    assert settings.endpoint_for("dynamodb") == "http://127.0.0.1:9999"
    assert settings.endpoint_for("secretsmanager") == "http://127.0.0.1:4566"


def test_several_app_clients_may_be_allowed():
    settings = Settings.from_env({**VALID, "USER_POOL_CLIENT_ID": "web1, cli2"})
    assert settings.user_pool_client_ids == ("web1", "cli2")
