"""The token suite: every kind of bad token gets 401 with the right WWW-Authenticate, and only a
genuine access token of a configured client gets in."""

from __future__ import annotations

import json
import time

import jwt
import pytest

from tests.support import tokens
from tests.support.http import ApiClient, assert_problem

INVALID = 'Bearer error="invalid_token"'


def call(stack, header: str | None):
    headers = {} if header is None else {"Authorization": header}
    return ApiClient(stack.api).get("/me", headers=headers)


def claims_for(stack, user, **overrides):
    fields = {"client_id": stack.stack.client_id, "sub": user.user_id, **overrides}
    return tokens.access_claims(region="us-east-1", pool_id=stack.stack.user_pool_id, **fields)


def tokens_issuer(stack) -> str:
    return f"https://cognito-idp.us-east-1.amazonaws.com/{stack.stack.user_pool_id}"


def raw_signed(claims) -> str:
    """Signed by the emulator's key as raw JSON (jwt.encode refuses some malformed claims)."""
    return jwt.api_jws.encode(
        json.dumps(claims).encode(),
        tokens.emulator_private_key(),
        algorithm="RS256",
        headers={"kid": tokens.EMULATOR_KID},
    )


def test_a_genuine_access_token_is_accepted(stack, user):
    response = call(stack, f"Bearer {user.access_token}")
    assert response.status_code == 200
    assert response.json() == {"id": user.user_id, "username": user.user_id}


def test_a_missing_token_asks_for_bearer_without_an_error_code(stack):
    response = call(stack, None)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_another_scheme_is_treated_as_no_token(stack):
    response = call(stack, "Basic dXNlcjpwYXNz")
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "make_header",
    [
        pytest.param(lambda s, u: "Bearer ", id="empty"),
        pytest.param(lambda s, u: "Bearer not-a-token", id="garbage"),
        pytest.param(lambda s, u: "Bearer a.b.c", id="garbage-three-parts"),
        pytest.param(lambda s, u: f"Bearer {tokens.unsigned(claims_for(s, u))}", id="alg-none"),
        pytest.param(
            lambda s, u: f"Bearer {tokens.hs256_with_public_key(claims_for(s, u))}",
            id="hs256-signed-with-the-public-key",
        ),
        pytest.param(
            lambda s, u: f"Bearer {tokens.sign(claims_for(s, u), tokens.stranger_key())}",
            id="a-key-the-pool-never-had",
        ),
        pytest.param(
            lambda s, u: (
                "Bearer "
                + tokens.sign(claims_for(s, u), tokens.stranger_key(), kid="not-in-the-jwks")
            ),
            id="unknown-kid",
        ),
        pytest.param(
            lambda s, u: (
                "Bearer "
                + tokens.sign(
                    claims_for(s, u, exp=int(time.time()) - 120, iat=int(time.time()) - 4000)
                )
            ),
            id="expired",
        ),
        pytest.param(
            lambda s, u: f"Bearer {tokens.sign(claims_for(s, u, nbf=int(time.time()) + 600))}",
            id="not-yet-valid-nbf",
        ),
        pytest.param(
            lambda s, u: f"Bearer {tokens.sign(claims_for(s, u, iat=int(time.time()) + 600))}",
            id="issued-in-the-future",
        ),
        pytest.param(
            lambda s, u: (
                "Bearer "
                + tokens.sign(
                    claims_for(
                        s, u, iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"
                    )
                )
            ),
            id="wrong-iss",
        ),
        pytest.param(
            lambda s, u: f"Bearer {tokens.sign(claims_for(s, u, client_id='someotherclient'))}",
            id="wrong-client-id",
        ),
        pytest.param(lambda s, u: f"Bearer {u.id_token}", id="id-token-instead-of-access"),
        pytest.param(
            lambda s, u: f"Bearer {tokens.sign(claims_for(s, u, token_use='id'))}",
            id="token-use-id",
        ),
        pytest.param(
            lambda s, u: f"Bearer {tokens.tampered(u.access_token, sub='someone-else')}",
            id="tampered-payload",
        ),
        pytest.param(
            lambda s, u: f"Bearer {tokens.sign(claims_for(s, u, client_id=None))}",
            id="missing-client-id",
        ),
        pytest.param(
            lambda s, u: f"Bearer {tokens.sign(claims_for(s, u, token_use=None))}",
            id="missing-token-use",
        ),
        pytest.param(
            lambda s, u: f"Bearer {tokens.sign(claims_for(s, u, iat=None))}", id="missing-iat"
        ),
        pytest.param(
            lambda s, u: f"Bearer {tokens.sign(claims_for(s, u, sub=None))}", id="missing-sub"
        ),
        # Claims of the wrong JSON type (issue 9, item 3): each is 401, never accepted or 500.
        pytest.param(
            lambda s, u: f"Bearer {raw_signed(claims_for(s, u, exp=str(int(time.time()) + 600)))}",
            id="exp-as-a-numeric-string",
        ),
        pytest.param(
            lambda s, u: f"Bearer {raw_signed(claims_for(s, u, client_id=[s.stack.client_id]))}",
            id="client-id-as-a-list",
        ),
        pytest.param(
            lambda s, u: f"Bearer {raw_signed(claims_for(s, u, sub=[u.user_id]))}",
            id="sub-as-a-list",
        ),
        # A sub no user id could be (issue 20, item 12: a 500 on the first write before; 5,000
        # characters would not fit the 8 KiB header limit, which refuses it earlier).
        pytest.param(
            lambda s, u: f"Bearer {tokens.sign(claims_for(s, u, sub='u' * 2000))}",
            id="sub-of-2000-characters",
        ),
        pytest.param(
            lambda s, u: f"Bearer {tokens.sign(claims_for(s, u, sub='USER#x'))}",
            id="sub-with-a-key-separator",
        ),
        pytest.param(
            lambda s, u: f"Bearer {raw_signed(claims_for(s, u, iss=[tokens_issuer(s)]))}",
            id="iss-as-a-list",
        ),
        pytest.param(
            lambda s, u: f"Bearer {raw_signed(claims_for(s, u, iat=str(int(time.time()))))}",
            id="iat-as-a-numeric-string",
        ),
    ],
)
def test_every_bad_token_gets_invalid_token(stack, user, make_header):
    response = call(stack, make_header(stack, user))
    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == INVALID
    assert "Traceback" not in response.text
    assert body["detail"] == "The bearer token is not valid"


def test_clock_skew_within_sixty_seconds_is_tolerated(stack, user):
    now = int(time.time())
    token = tokens.sign(claims_for(stack, user, exp=now - 30, iat=now - 3600))
    assert call(stack, f"Bearer {token}").status_code == 200
    token = tokens.sign(claims_for(stack, user, iat=now + 30, nbf=now + 30))
    assert call(stack, f"Bearer {token}").status_code == 200
