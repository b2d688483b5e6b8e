"""The emulator's email changes, as AWS makes them (devstack/moto_server.py, change 3)."""

from __future__ import annotations

from types import SimpleNamespace

from devstack.moto_server import _email_change_as_in_aws

OLD, NEW = "old@example.com", "new@example.com"


def _pool(*, verify_first: bool):
    settings = {"AttributesRequireVerificationBeforeUpdate": ["email"]} if verify_first else {}
    return SimpleNamespace(extended_config={"UserAttributeUpdateSettings": settings})


def _user():
    return SimpleNamespace(attribute_lookup={"email": OLD, "email_verified": "true"})


def _named(attributes):
    return {a["Name"]: a["Value"] for a in attributes}


def test_without_the_setting_a_new_email_applies_unverified():
    change = [{"Name": "email", "Value": NEW}, {"Name": "email_verified", "Value": "true"}]
    applied = _email_change_as_in_aws(_pool(verify_first=False), _user(), change, admin=False)
    assert _named(applied) == {"email": NEW, "email_verified": "false"}


def test_with_the_setting_a_new_email_waits_for_verification():
    user = _user()
    change = [{"Name": "email", "Value": NEW}, {"Name": "name", "Value": "Mallory"}]
    applied = _email_change_as_in_aws(_pool(verify_first=True), user, change, admin=False)
    assert _named(applied) == {"name": "Mallory"}
    assert user.pending_email == NEW


def test_an_administrator_may_set_a_verified_email_at_once():
    change = [{"Name": "email", "Value": NEW}, {"Name": "email_verified", "Value": "true"}]
    for verify_first in (True, False):
        pool = _pool(verify_first=verify_first)
        assert _email_change_as_in_aws(pool, _user(), change, admin=True) == change


def test_other_attributes_pass_untouched():
    change = [{"Name": "email", "Value": OLD}, {"Name": "name", "Value": "Same"}]
    assert _email_change_as_in_aws(_pool(verify_first=True), _user(), change, admin=False) == change
