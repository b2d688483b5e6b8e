"""The verifier against a JWKS served over HTTP from this process: key rotation, refresh on an
unknown kid, and an unreachable JWKS."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWKClient

from app.auth.verifier import JWKS_LIFESPAN_SECONDS, InvalidToken, TokenVerifier, VerifiedTokens
from app.aws.clients import DependencyUnavailable
from app.config import Settings

POOL = "eu-west-1_Pool1"
CLIENT = "client1"
ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"


class JwksServer:
    def __init__(self):
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.fetches += 1
                document = {
                    "keys": [
                        {
                            **json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(k.public_key())),
                            "kid": kid,
                            "alg": "RS256",
                            "use": "sig",
                        }
                        for kid, k in outer.keys.items()
                    ]
                }
                body = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add_key(self, kid: str) -> rsa.RSAPrivateKey:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.keys[kid]

    def close(self):
        self.server.shutdown()


@pytest.fixture
def jwks():
    server = JwksServer()
    yield server
    server.close()


def verifier_for(endpoint: str, cooldown: float | None = None) -> TokenVerifier:
    settings = Settings.from_env(
        {
            "AWS_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL": endpoint,
            "TASKS_TABLE_NAME": "t",
            "USER_POOL_ID": POOL,
            "USER_POOL_CLIENT_ID": CLIENT,
            "CURSOR_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:x",
            "UNSUBSCRIBE_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:u",
        }
    )
    if cooldown is None:
        return TokenVerifier(settings)
    client = PyJWKClient(settings.jwks_url, cooldown_duration=cooldown)
    return TokenVerifier(settings, jwks_client=client)


def token(key, kid: str, **overrides) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "user-1",
        "client_id": CLIENT,
        "token_use": "access",
        "iat": now,
        "exp": now + 600,
        "username": "someone",
        **overrides,
    }
    # Signed as raw JSON: jwt.encode itself refuses some of the malformed claims tested here.
    payload = json.dumps(claims).encode()
    return jwt.api_jws.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def test_a_valid_token_gives_the_principal(jwks):
    key = jwks.add_key("k1")
    principal = verifier_for(jwks.endpoint).verify(token(key, "k1"))
    assert (principal.user_id, principal.username, principal.client_id) == (
        "user-1",
        "someone",
        CLIENT,
    )


def test_keys_are_cached(jwks):
    key = jwks.add_key("k1")
    verifier = verifier_for(jwks.endpoint)
    for _ in range(5):
        verifier.verify(token(key, "k1"))
    assert jwks.fetches == 1


def test_an_unknown_kid_refreshes_the_keys_once_the_cooldown_has_passed(jwks):
    old = jwks.add_key("old")
    verifier = verifier_for(jwks.endpoint, cooldown=0.2)
    verifier.verify(token(old, "old"))
    time.sleep(0.3)
    new = jwks.add_key("new")  # Cognito published a new key
    assert verifier.verify(token(new, "new")).user_id == "user-1"
    assert jwks.fetches == 2


class Later:
    """The clocks the key set's cache and the verified tokens' cache read, moved on at will."""

    def __init__(self, monkeypatch):
        self.offset = 0.0
        real_monotonic, real_time = time.monotonic, time.time

        class Clock:
            @staticmethod
            def monotonic():
                return real_monotonic() + self.offset

            @staticmethod
            def time():
                return real_time() + self.offset

        for module in ("jwt.jwk_set_cache", "jwt.jwks_client", "app.auth.verifier"):
            monkeypatch.setattr(f"{module}.time", Clock)
        self.clock = Clock.time


def test_a_key_withdrawn_from_the_jwks_stops_verifying_once_the_key_set_expires(jwks, monkeypatch):
    """Issue 20, item 5: PyJWT's per-key cache has no expiry, so a withdrawn key kept verifying
    new tokens until the worker restarted. Now only the key set is cached (five minutes), and a
    verified token is verified again after as long."""
    withdrawn, kept = jwks.add_key("withdrawn"), jwks.add_key("kept")
    later = Later(monkeypatch)
    verifier = verifier_for(jwks.endpoint)
    verifier._cache = VerifiedTokens(clock=later.clock)
    seen_before = token(withdrawn, "withdrawn", sub="seen-before")
    assert verifier.verify(seen_before).user_id == "seen-before"
    assert verifier.verify(token(withdrawn, "withdrawn")).user_id == "user-1"
    del jwks.keys["withdrawn"]  # the pool no longer publishes it
    later.offset = JWKS_LIFESPAN_SECONDS + 1
    for signed_by_withdrawn in (token(withdrawn, "withdrawn", sub="new"), seen_before):
        with pytest.raises(InvalidToken):
            verifier.verify(signed_by_withdrawn)
    assert verifier.verify(token(kept, "kept")).user_id == "user-1"


def test_made_up_kids_do_not_hammer_the_jwks(jwks):
    key = jwks.add_key("k1")
    verifier = verifier_for(jwks.endpoint)
    verifier.verify(token(key, "k1"))
    for i in range(10):
        with pytest.raises(InvalidToken):
            verifier.verify(token(key, f"made-up-{i}"))
    assert jwks.fetches <= 2


def test_an_unreachable_jwks_is_a_dependency_failure_not_a_bad_token(jwks):
    key = jwks.add_key("k1")
    endpoint = jwks.endpoint
    jwks.close()
    with pytest.raises(DependencyUnavailable):
        verifier_for(endpoint).verify(token(key, "k1"))


@pytest.mark.parametrize(
    "overrides",
    [
        {"token_use": "id"},
        {"client_id": "other"},
        {"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"},
        # Times relative to when the test runs, not to when pytest collected it.
        {"exp": -120},
        {"nbf": +120},
        {"sub": ""},
        # Issue 20, item 12: a sub no user id could be (it becomes part of the table's keys);
        # a 5,000-character one was a 500 on the first write.
        {"sub": "u" * 5000},
        {"sub": "WS#01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        {"sub": "user-1\n"},
    ],
)
def test_claims_are_checked(jwks, overrides):
    key = jwks.add_key("k1")
    now = int(time.time())
    claims = {k: now + v if k in ("exp", "nbf") else v for k, v in overrides.items()}
    with pytest.raises(InvalidToken):
        verifier_for(jwks.endpoint).verify(token(key, "k1", **claims))


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"exp": str(int(time.time()) + 600)}, id="exp-numeric-string"),
        pytest.param({"exp": True}, id="exp-boolean"),
        pytest.param({"iat": str(int(time.time()))}, id="iat-numeric-string"),
        pytest.param({"nbf": str(int(time.time()))}, id="nbf-numeric-string"),
        pytest.param({"auth_time": [1]}, id="auth-time-list"),
        pytest.param({"client_id": [CLIENT]}, id="client-id-list"),
        pytest.param({"client_id": {"id": CLIENT}}, id="client-id-object"),
        pytest.param({"sub": 12345}, id="sub-number"),
        pytest.param({"token_use": ["access"]}, id="token-use-list"),
        pytest.param({"username": ["someone"]}, id="username-list"),
        pytest.param({"iss": [ISSUER]}, id="iss-list"),
        pytest.param({"scope": 1}, id="scope-number"),
        pytest.param({"cognito:groups": "admins"}, id="groups-string"),
        pytest.param({"cognito:groups": [1]}, id="groups-of-numbers"),
    ],
)
def test_every_claim_has_its_type_checked(jwks, overrides):
    key = jwks.add_key("k1")
    with pytest.raises(InvalidToken):
        verifier_for(jwks.endpoint).verify(token(key, "k1", **overrides))


class CountingDecode:
    """jwt.decode, counted: how many tokens were verified in full."""

    def __init__(self, monkeypatch):
        self.calls = 0
        real = jwt.decode

        def decode(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr("app.auth.verifier.jwt.decode", decode)


def test_a_verified_token_is_not_verified_again(jwks, monkeypatch):
    key = jwks.add_key("k1")
    verifier = verifier_for(jwks.endpoint)
    decode = CountingDecode(monkeypatch)
    good = token(key, "k1")
    assert {verifier.verify(good).user_id for _ in range(5)} == {"user-1"}
    assert decode.calls == 1


def test_a_cached_token_is_checked_again_once_its_exp_has_passed(jwks, monkeypatch):
    key = jwks.add_key("k1")
    now = [time.time()]
    verifier = verifier_for(jwks.endpoint)
    verifier._cache = VerifiedTokens(clock=lambda: now[0])
    decode = CountingDecode(monkeypatch)
    good = token(key, "k1", exp=int(now[0]) + 30)
    verifier.verify(good)
    now[0] += 29
    verifier.verify(good)
    assert decode.calls == 1
    now[0] += 2  # past exp: the cache no longer vouches for it
    verifier.verify(good)  # still within PyJWT's leeway, so verified in full and accepted
    assert decode.calls == 2


def test_a_refused_token_stays_refused(jwks, monkeypatch):
    key = jwks.add_key("k1")
    verifier = verifier_for(jwks.endpoint)
    good = token(key, "k1")
    verifier.verify(good)
    forged = token(jwks.add_key("k2"), "k1")  # signed by a key the kid does not name
    wrong_client = token(key, "k1", client_id="other")
    for _ in range(3):
        for bad in (forged, wrong_client, good[:-4] + "AAAA"):
            with pytest.raises(InvalidToken):
                verifier.verify(bad)
    assert verifier.verify(good).user_id == "user-1"


def test_the_cache_is_bounded_and_keyed_by_digest(jwks):
    key = jwks.add_key("k1")
    cache = VerifiedTokens(max_entries=3)
    verifier = verifier_for(jwks.endpoint)
    verifier._cache = cache
    issued = [token(key, "k1", sub=f"user-{i}") for i in range(10)]
    for t in issued:
        verifier.verify(t)
    assert len(cache) == 3
    assert all(len(k) == 32 for k in cache._entries)  # SHA-256 digests, not tokens
    assert cache.get(VerifiedTokens.digest(issued[-1])).user_id == "user-9"
    assert cache.get(VerifiedTokens.digest(issued[0])) is None
