"""Cursors: sealed (encrypted and authenticated) with a key derived from the Secrets Manager
secret, opaque to clients, still valid across a rotation."""

from __future__ import annotations

import base64

import pytest

from app.api.pagination import CursorCodec
from app.api.problems import ApiProblem
from app.aws.signing_keys import SigningKeys

START = {"PK": "WS#1", "SK": "TASK#2"}


def rotate(clients, arn: str, value: str) -> None:
    """What the rotation Lambda does in its last step: the new version becomes current."""
    secrets = clients.secretsmanager
    current = secrets.describe_secret(SecretId=arn)
    current_version = next(
        v for v, stages in current["VersionIdsToStages"].items() if "AWSCURRENT" in stages
    )
    new_version = secrets.put_secret_value(
        SecretId=arn, SecretString=value, VersionStages=["AWSPENDING"]
    )["VersionId"]
    secrets.update_secret_version_stage(
        SecretId=arn,
        VersionStage="AWSCURRENT",
        MoveToVersionId=new_version,
        RemoveFromVersionId=current_version,
    )


@pytest.fixture
def codec(clients, settings):
    return CursorCodec(SigningKeys(clients, settings.cursor_secret_arn))


def test_a_cursor_round_trips_for_its_list_and_caller(codec):
    cursor = codec.encode(START, scope="/a", caller="u1")
    assert codec.decode(cursor, scope="/a", caller="u1") == START
    assert codec.encode(None, scope="/a", caller="u1") is None
    assert codec.decode(None, scope="/a", caller="u1") is None


def _raw(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def test_a_cursor_does_not_reveal_the_tables_keys(codec):
    cursor = codec.encode(START, scope="/a", caller="u1")
    raw = _raw(cursor)
    for secret in (b"WS#1", b"TASK#2", b'"PK"', b'"SK"'):
        assert secret not in raw
    assert codec.encode(START, scope="/a", caller="u1") != cursor  # a fresh nonce each time


def test_an_altered_cursor_or_garbage_is_refused(codec):
    cursor = codec.encode(START, scope="/a", caller="u1")
    altered = []
    for position in (0, 11, 12, -1):  # the nonce, the sealed payload, the tag
        raw = bytearray(_raw(cursor))
        raw[position] ^= 0x01
        altered.append(base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode())
    for bad in [*altered, "", "x", "!!!", "\u00e9", "a" * 40, cursor[:-2]]:
        with pytest.raises(ApiProblem) as refused:
            codec.decode(bad, scope="/a", caller="u1")
        assert refused.value.status == 400, bad


@pytest.mark.parametrize(("scope", "caller"), [("/b", "u1"), ("/a", "u2")])
def test_another_list_or_caller_is_refused(codec, scope, caller):
    cursor = codec.encode(START, scope="/a", caller="u1")
    with pytest.raises(ApiProblem) as refused:
        codec.decode(cursor, scope=scope, caller=caller)
    assert refused.value.status == 400


def test_a_cursor_signed_before_a_rotation_still_works_after_it(clients, settings):
    signer = CursorCodec(SigningKeys(clients, settings.cursor_secret_arn))
    cursor = signer.encode(START, scope="/a", caller="u1")
    rotate(clients, settings.cursor_secret_arn, "second-key-" + "x" * 40)
    after = CursorCodec(SigningKeys(clients, settings.cursor_secret_arn))
    assert after.decode(cursor, scope="/a", caller="u1") == START
    fresh = after.encode(START, scope="/a", caller="u1")
    assert fresh != cursor
    rotate(clients, settings.cursor_secret_arn, "third-key-" + "y" * 40)
    later = CursorCodec(SigningKeys(clients, settings.cursor_secret_arn))
    assert later.decode(fresh, scope="/a", caller="u1") == START
    with pytest.raises(ApiProblem):
        later.decode(cursor, scope="/a", caller="u1")


def test_a_process_that_cached_the_old_key_learns_the_new_one(clients, settings):
    old_process = CursorCodec(SigningKeys(clients, settings.cursor_secret_arn))
    old_process.encode(START, scope="/a", caller="u1")  # caches the current key
    rotate(clients, settings.cursor_secret_arn, "rotated-key-" + "z" * 40)
    new_process = CursorCodec(SigningKeys(clients, settings.cursor_secret_arn))
    cursor = new_process.encode(START, scope="/a", caller="u1")
    assert old_process.decode(cursor, scope="/a", caller="u1") == START
