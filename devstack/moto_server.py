"""moto's server, with changes that make it behave more like DynamoDB and Cognito (and fast
enough for the test suite).

1. One request at a time. DynamoDB applies each request, a transaction included, atomically.
   moto's threaded server does not lock its backends, so two concurrent conditional writes can
   both see their condition hold and both succeed, which DynamoDB never allows.
2. Transactions check every condition first, against the state before the transaction, as
   DynamoDB does, and are applied only when all hold. moto instead applies the parts one by one
   and, to be able to roll back, deep-copies the whole table once per part: a transaction then
   costs time in proportion to everything in the table (about a second per transaction at a few
   thousand items). With the conditions checked up front there is nothing to roll back, so the
   copies are skipped.
3. Email changes in Cognito take effect as in AWS. moto applies a new email at once and leaves
   `email_verified` as it was, so anyone could take over an address by setting it on their own
   account. AWS marks a changed email unverified, and in a pool whose
   UserAttributeUpdateSettings name `email` it keeps the old address until the new one is
   verified (VerifyUserAttribute, which moto lacks; like moto's ConfirmSignUp, it accepts any
   code). Confirming a sign-up verifies the email when the pool auto-verifies it, as in AWS.
4. RevokeToken, which moto lacks (the browser app's "Sign out" of one browser): the refresh
   token no longer refreshes, as in AWS; a token it does not know is accepted without effect.

With `--state-file`, it can also crash the way the fault tests need (emulator_state.py): a POST
to /_devstack/crash saves the state, as of the last request it completed, and kills the
process with SIGKILL, requests in flight and all; started again with the same file, it comes
back with that state, as an AWS service comes back with what it had acknowledged.
"""

from __future__ import annotations

import argparse
import copy
import os
import signal
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from moto.cognitoidp.models import (
    CognitoIdpBackend,
    CognitoIdpUser,
    CognitoIdpUserPool,
    cognitoidp_backends,
)
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.responses import EmptyResult
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import MultipleTransactionsException, TransactionCanceledException
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

from devstack import emulator_state

CRASH_PATH = "/_devstack/crash"


def one_at_a_time(
    app: Callable[..., Iterable[bytes]], *, state_file: Path | None = None
) -> Callable[..., list[bytes]]:
    lock = threading.Lock()

    def serialised(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with lock:
            crash = (
                environ.get("PATH_INFO") == CRASH_PATH and environ.get("REQUEST_METHOD") == "POST"
            )
            if crash and state_file is not None:
                # Under the lock: nothing else runs between the save and the kill.
                emulator_state.save(state_file)
                os.kill(os.getpid(), signal.SIGKILL)
            return list(app(environ, start_response))

    return serialised


def _key_of(backend: Any, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    table = backend.get_table(request["TableName"])
    if operation != "Put":
        return request["Key"]
    attributes = request["Item"]
    key = {table.hash_key_attr: attributes[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attributes[table.range_key_attr]
    return key


def _refuse_an_item_named_twice(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    """DynamoDB refuses a transaction that names one item twice (ValidationException) before it
    checks any condition; moto notices only while applying the parts, which a failed condition
    here would never reach."""
    named = set()
    for entry in transact_items:
        ((operation, request),) = entry.items()
        key = _key_of(backend, operation, request)
        item = (request["TableName"], repr(sorted(key.items())))
        if item in named:
            raise MultipleTransactionsException()
        named.add(item)


def _failed_conditions(backend: Any, transact_items: list[dict[str, Any]]) -> list[Any]:
    """moto's cancellation reasons, one per part, from the state before the transaction."""
    reasons: list[Any] = []
    for entry in transact_items:
        ((operation, request),) = entry.items()
        key = _key_of(backend, operation, request)
        expression = request.get("ConditionExpression")
        if expression is None:
            reasons.append((None, None, None))
            continue
        current = backend.get_item(request["TableName"], key)
        condition = get_filter_expression(
            expression,
            request.get("ExpressionAttributeNames"),
            request.get("ExpressionAttributeValues"),
        )
        if condition.expr(current):
            reasons.append((None, None, None))
            continue
        old = None
        if request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
            old = current.to_json()["Attributes"]
        reasons.append(("ConditionalCheckFailed", "The conditional request failed", old))
    return reasons


class _TablesAreNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB models during a transaction whose
    conditions were all checked already: tables are handed back as they are."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


_moto_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


def _conditions_first(self: Any, transact_items: list[dict[str, Any]]) -> None:
    _refuse_an_item_named_twice(self, transact_items)
    reasons = _failed_conditions(self, transact_items)
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    dynamodb_models.copy = _TablesAreNotCopied  # type: ignore[assignment]
    try:
        _moto_transact_write_items(self, transact_items)
    finally:
        dynamodb_models.copy = copy


def _email_change_as_in_aws(
    pool: CognitoIdpUserPool, user: CognitoIdpUser, attributes: list[dict[str, str]], *, admin: bool
) -> list[dict[str, str]]:
    """The attributes of an update as AWS applies them: a new email is unverified, or, where
    the pool requires verification first, not applied until verified. Only an administrator
    may set email_verified, and one who sets it true with the email applies both at once."""
    named = {a["Name"]: a["Value"] for a in attributes}
    email = named.get("email")
    if email is None or email == user.attribute_lookup.get("email"):
        return attributes
    if admin and named.get("email_verified") == "true":
        return attributes
    others = [a for a in attributes if a["Name"] not in ("email", "email_verified")]
    settings = pool.extended_config.get("UserAttributeUpdateSettings") or {}
    if "email" in settings.get("AttributesRequireVerificationBeforeUpdate", []):
        user.pending_email = email  # type: ignore[attr-defined]
        return others
    return [
        *others,
        {"Name": "email", "Value": email},
        {"Name": "email_verified", "Value": "false"},
    ]


def _user_of_token(backend: Any, access_token: str) -> tuple[Any, Any] | None:
    for pool in backend.user_pools.values():
        if access_token in pool.access_tokens:
            _, username = pool.access_tokens[access_token]
            return pool, backend.admin_get_user(pool.id, username)
    return None


_moto_update_user_attributes = CognitoIdpBackend.update_user_attributes
_moto_admin_update_user_attributes = CognitoIdpBackend.admin_update_user_attributes
_moto_confirm_sign_up = CognitoIdpBackend.confirm_sign_up


def _update_user_attributes(self: Any, access_token: str, attributes: list[dict[str, str]]):
    found = _user_of_token(self, access_token)
    if found is not None:
        attributes = _email_change_as_in_aws(*found, attributes, admin=False)
    return _moto_update_user_attributes(self, access_token, attributes)


def _admin_update_user_attributes(
    self: Any, user_pool_id: str, username: str, attributes: list[dict[str, str]]
):
    pool = self.describe_user_pool(user_pool_id)
    user = self.admin_get_user(user_pool_id, username)
    attributes = _email_change_as_in_aws(pool, user, attributes, admin=True)
    return _moto_admin_update_user_attributes(self, user_pool_id, username, attributes)


def _confirm_sign_up(self: Any, client_id: str, username: str) -> str:
    result = _moto_confirm_sign_up(self, client_id, username)
    for pool in self.user_pools.values():
        if client_id in pool.clients:
            user = self.admin_get_user(pool.id, username)
            auto_verified = pool.extended_config.get("AutoVerifiedAttributes") or []
            if "email" in auto_verified and "email" in user.attribute_lookup:
                user.update_attributes([{"Name": "email_verified", "Value": "true"}])
    return result


def _verify_user_attribute(self: Any) -> EmptyResult:
    """VerifyUserAttribute for email: the pending address (or the current one) is verified."""
    name = self._get_param("AttributeName")
    token = self._get_param("AccessToken")
    backend = self._get_region_agnostic_backend()._find_backend_by_access_token(token)
    found = _user_of_token(backend, token)
    if found is not None and name == "email":
        _, user = found
        email = getattr(user, "pending_email", None) or user.attribute_lookup.get("email")
        user.pending_email = None
        user.update_attributes(
            [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        )
    return EmptyResult()


def _revoke_token(self: Any) -> EmptyResult:
    """RevokeToken: the app client's refresh token stops working (moto signs out with None)."""
    token = self._get_param("Token")
    client_id = self._get_param("ClientId")
    # An unsigned call names no region: look in every account's and region's backend.
    for backends in cognitoidp_backends.values():
        for region, backend in backends.items():
            if region == "global":
                continue
            for pool in backend.user_pools.values():
                issued = pool.refresh_tokens.get(token)
                if issued is not None and issued[0] == client_id:
                    pool.refresh_tokens[token] = None
    return EmptyResult()


def _behave_as_aws() -> None:
    dynamodb_models.DynamoDBBackend.transact_write_items = _conditions_first
    CognitoIdpBackend.update_user_attributes = _update_user_attributes
    CognitoIdpBackend.admin_update_user_attributes = _admin_update_user_attributes
    CognitoIdpBackend.confirm_sign_up = _confirm_sign_up
    CognitoIdpResponse.verify_user_attribute = _verify_user_attribute
    CognitoIdpResponse.revoke_token = _revoke_token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=4566)
    parser.add_argument(
        "--state-file", type=Path, help="restore from it at start, save to it on a crash"
    )
    arguments = parser.parse_args()
    _behave_as_aws()
    if arguments.state_file is not None and arguments.state_file.is_file():
        services = emulator_state.restore(arguments.state_file)
        print(f"restored {services} services from {arguments.state_file}", flush=True)
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        arguments.host,
        arguments.port,
        one_at_a_time(app, state_file=arguments.state_file),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
