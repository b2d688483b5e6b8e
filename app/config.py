"""Every setting the service reads, read once from the environment and validated at start.

The names of the variables are the contract with the deployment: the Copilot manifest and the
addon outputs produce them in AWS (see docs/configuration.md), the local stack produces the same
names from the same templates. A missing or invalid setting stops the process with a message that
names the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

_USER_POOL_ID = re.compile(r"^(?P<region>[a-z]{2}(-[a-z]+)+-\d)_[0-9A-Za-z]+$")
_CLIENT_ID = re.compile(r"^[\w+]{1,128}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# boto3's per-service endpoint variables for the services the API calls.
_SERVICE_ENDPOINT_VARIABLES = {
    "dynamodb": "AWS_ENDPOINT_URL_DYNAMODB",
    "cognito-idp": "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "secretsmanager": "AWS_ENDPOINT_URL_SECRETS_MANAGER",
}


# AWS answers in milliseconds; these bound how long a dead or hung dependency can hold a
# request before it becomes a 503: two attempts (the first included) of connect plus read, and
# at most 50 ms of backoff, 2 x (0.5 + 0.6) + 0.05 = 2.25 s (app/aws/clients.py, docs/api.md).
DEFAULT_AWS_CONNECT_TIMEOUT = 0.5
DEFAULT_AWS_READ_TIMEOUT = 0.6
DEFAULT_AWS_MAX_ATTEMPTS = 2

DEFAULT_OWNED_WORKSPACES = 100
DEFAULT_MEMBERS_PER_WORKSPACE = 500
DEFAULT_TASKS_PER_WORKSPACE = 10_000
DEFAULT_PENDING_INVITATIONS = 100
DEFAULT_INVITATIONS_PER_DAY = 50
DEFAULT_COMMENTS_PER_TASK = 1000
DEFAULT_LABELS_PER_WORKSPACE = 100


class ConfigError(Exception):
    """The environment does not describe a runnable service; the message names each variable."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Settings:
    # Where we run. Copilot sets COPILOT_ENVIRONMENT_NAME in every task it starts; its absence
    # means a local run (the local stack, tests).
    environment: str
    running_in_aws: bool
    service_name: str
    region: str
    # Only for local runs: the AWS emulator (moto server or LocalStack), for every service or
    # per service (AWS_ENDPOINT_URL_DYNAMODB and so on, as boto3 names them).
    aws_endpoint_url: str | None
    endpoint_overrides: dict[str, str]
    tasks_table_name: str
    user_pool_id: str
    user_pool_client_ids: tuple[str, ...]
    cursor_secret_arn: str
    unsubscribe_secret_arn: str
    audit_retention_days: int
    log_level: str
    otlp_endpoint: str | None
    frontend_dir: Path | None
    aws_connect_timeout: float
    aws_read_timeout: float
    aws_max_attempts: int
    # The product's limits (docs/api.md, "Limits").
    max_owned_workspaces: int = DEFAULT_OWNED_WORKSPACES
    max_members_per_workspace: int = DEFAULT_MEMBERS_PER_WORKSPACE
    max_tasks_per_workspace: int = DEFAULT_TASKS_PER_WORKSPACE
    max_pending_invitations: int = DEFAULT_PENDING_INVITATIONS
    max_invitations_per_day: int = DEFAULT_INVITATIONS_PER_DAY
    max_comments_per_task: int = DEFAULT_COMMENTS_PER_TASK
    max_labels_per_workspace: int = DEFAULT_LABELS_PER_WORKSPACE

    @property
    def token_issuer(self) -> str:
        # Cognito's issuer always names the AWS host, the emulator's tokens included.
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    def endpoint_for(self, service: str) -> str | None:
        return self.endpoint_overrides.get(service, self.aws_endpoint_url)

    @property
    def cognito_endpoint(self) -> str:
        return (
            self.endpoint_for("cognito-idp") or f"https://cognito-idp.{self.region}.amazonaws.com"
        )

    @property
    def jwks_url(self) -> str:
        return f"{self.cognito_endpoint.rstrip('/')}/{self.user_pool_id}/.well-known/jwks.json"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return _Reader(os.environ if environ is None else environ).settings()


class _Reader:
    """Collects every problem before failing, so one start names all of them."""

    def __init__(self, environ: Mapping[str, str]):
        self.env = environ
        self.problems: list[str] = []

    def settings(self) -> Settings:
        copilot_env = self._optional("COPILOT_ENVIRONMENT_NAME")
        running_in_aws = copilot_env is not None
        region = self._region()
        endpoint = self._endpoint(running_in_aws)
        pool_id = self._required("USER_POOL_ID")
        if pool_id and not _USER_POOL_ID.match(pool_id):
            self._problem("USER_POOL_ID", f"{pool_id!r} is not a Cognito user pool id")
        elif pool_id and region and not pool_id.startswith(region + "_"):
            self._problem("USER_POOL_ID", f"{pool_id!r} is not in AWS_REGION {region}")
        settings = Settings(
            environment=copilot_env or "local",
            running_in_aws=running_in_aws,
            service_name=self._optional("COPILOT_SERVICE_NAME") or "api",
            region=region,
            aws_endpoint_url=endpoint,
            endpoint_overrides=self._endpoint_overrides(running_in_aws),
            tasks_table_name=self._required("TASKS_TABLE_NAME"),
            user_pool_id=pool_id,
            user_pool_client_ids=self._client_ids(),
            cursor_secret_arn=self._secret_arn("CURSOR_SECRET_ARN"),
            unsubscribe_secret_arn=self._secret_arn("UNSUBSCRIBE_SECRET_ARN"),
            audit_retention_days=self._int("AUDIT_RETENTION_DAYS", default=365, low=1, high=3650),
            log_level=self._log_level(),
            otlp_endpoint=self._url("OTEL_EXPORTER_OTLP_ENDPOINT"),
            frontend_dir=self._directory("FRONTEND_DIR"),
            aws_connect_timeout=self._float(
                "AWS_CONNECT_TIMEOUT", default=DEFAULT_AWS_CONNECT_TIMEOUT, low=0.1, high=10
            ),
            aws_read_timeout=self._float(
                "AWS_READ_TIMEOUT", default=DEFAULT_AWS_READ_TIMEOUT, low=0.1, high=30
            ),
            aws_max_attempts=self._int(
                "AWS_MAX_ATTEMPTS", default=DEFAULT_AWS_MAX_ATTEMPTS, low=1, high=5
            ),
            max_owned_workspaces=self._int(
                "MAX_OWNED_WORKSPACES", default=DEFAULT_OWNED_WORKSPACES, low=1, high=10_000
            ),
            max_members_per_workspace=self._int(
                "MAX_MEMBERS_PER_WORKSPACE",
                default=DEFAULT_MEMBERS_PER_WORKSPACE,
                low=2,
                high=100_000,
            ),
            max_tasks_per_workspace=self._int(
                "MAX_TASKS_PER_WORKSPACE",
                default=DEFAULT_TASKS_PER_WORKSPACE,
                low=1,
                high=1_000_000,
            ),
            max_pending_invitations=self._int(
                "MAX_PENDING_INVITATIONS", default=DEFAULT_PENDING_INVITATIONS, low=1, high=1000
            ),
            max_invitations_per_day=self._int(
                "MAX_INVITATIONS_PER_DAY", default=DEFAULT_INVITATIONS_PER_DAY, low=1, high=10_000
            ),
            max_comments_per_task=self._int(
                "MAX_COMMENTS_PER_TASK", default=DEFAULT_COMMENTS_PER_TASK, low=1, high=100_000
            ),
            # A workspace's labels are listed from one read of them all: a thousand fit.
            max_labels_per_workspace=self._int(
                "MAX_LABELS_PER_WORKSPACE", default=DEFAULT_LABELS_PER_WORKSPACE, low=1, high=1000
            ),
        )
        if running_in_aws and pool_id and not self.problems:
            self._require_real_cognito(settings)
        if self.problems:
            raise ConfigError(self.problems)
        return settings

    def _problem(self, name: str, message: str) -> None:
        self.problems.append(f"{name}: {message}")

    def _optional(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    def _required(self, name: str) -> str:
        value = self._optional(name)
        if value is None:
            self._problem(name, "is required")
            return ""
        return value

    def _region(self) -> str:
        region = self._optional("AWS_REGION") or self._optional("AWS_DEFAULT_REGION")
        if region is None:
            self._problem("AWS_REGION", "is required (or AWS_DEFAULT_REGION)")
            return ""
        if not _REGION.match(region):
            self._problem("AWS_REGION", f"{region!r} is not an AWS region")
        return region

    def _endpoint(self, running_in_aws: bool) -> str | None:
        overrides = sorted(k for k in self.env if k.startswith("AWS_ENDPOINT_URL") and self.env[k])
        if running_in_aws and overrides:
            # The emulator's token signing key ships inside moto: trusting it in AWS would let
            # anyone mint tokens. No endpoint override is ever valid there.
            for name in overrides:
                self._problem(name, "must not be set in AWS (COPILOT_ENVIRONMENT_NAME is set)")
            return None
        return self._url("AWS_ENDPOINT_URL")

    def _endpoint_overrides(self, running_in_aws: bool) -> dict[str, str]:
        if running_in_aws:
            return {}
        overrides = {}
        for service, name in _SERVICE_ENDPOINT_VARIABLES.items():
            url = self._url(name)
            if url:
                overrides[service] = url
        return overrides

    def _url(self, name: str) -> str | None:
        value = self._optional(name)
        if value is None:
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            self._problem(name, f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    def _client_ids(self) -> tuple[str, ...]:
        raw = self._required("USER_POOL_CLIENT_ID")
        ids = tuple(part.strip() for part in raw.split(",") if part.strip())
        for client_id in ids:
            if not _CLIENT_ID.match(client_id):
                self._problem("USER_POOL_CLIENT_ID", f"{client_id!r} is not an app client id")
        return ids

    def _secret_arn(self, name: str) -> str:
        arn = self._required(name)
        if arn and not (arn.startswith("arn:") and ":secretsmanager:" in arn):
            self._problem(name, f"{arn!r} is not a Secrets Manager ARN")
        return arn

    def _int(self, name: str, *, default: int, low: int, high: int) -> int:
        raw = self._optional(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            self._problem(name, f"{raw!r} is not an integer")
            return default
        if not low <= value <= high:
            self._problem(name, f"{value} is outside {low}..{high}")
        return value

    def _float(self, name: str, *, default: float, low: float, high: float) -> float:
        raw = self._optional(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            self._problem(name, f"{raw!r} is not a number")
            return default
        if not low <= value <= high:
            self._problem(name, f"{value} is outside {low}..{high}")
        return value

    def _log_level(self) -> str:
        level = (self._optional("LOG_LEVEL") or "INFO").upper()
        if level not in _LOG_LEVELS:
            self._problem("LOG_LEVEL", f"{level!r} is not one of {', '.join(_LOG_LEVELS)}")
        return level

    def _directory(self, name: str) -> Path | None:
        raw = self._optional(name)
        if raw is None:
            return None
        path = Path(raw)
        if not (path / "index.html").is_file():
            self._problem(name, f"{raw!r} holds no index.html")
        return path

    def _require_real_cognito(self, settings: Settings) -> None:
        expected_host = f"cognito-idp.{settings.region}.amazonaws.com"
        parsed = urlparse(settings.jwks_url)
        if parsed.scheme != "https" or parsed.hostname != expected_host:
            self._problem("USER_POOL_ID", f"the JWKS {settings.jwks_url} is not Cognito's")
