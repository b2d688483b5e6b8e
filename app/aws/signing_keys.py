"""The HMAC keys that sign pagination cursors, from the Secrets Manager secret.

Both the current and the previous version are accepted, so that rotating the secret never
breaks a client half-way through a listing: a cursor signed just before the rotation still
verifies with AWSPREVIOUS.
"""

from __future__ import annotations

import threading
import time

from botocore.exceptions import BotoCoreError, ClientError

from app.aws.clients import AwsClients, DependencyUnavailable, error_code, is_unavailable

_REFRESH_SECONDS = 300
# After an unknown signature, refetch at most this often (a forged cursor must not make every
# request call Secrets Manager).
_MIN_REFETCH_SECONDS = 30


class SigningKeys:
    def __init__(self, clients: AwsClients, secret_arn: str):
        self._clients = clients
        self._arn = secret_arn
        self._lock = threading.Lock()
        self._keys: tuple[bytes, ...] = ()
        self._fetched_at = float("-inf")
        self._forced_at = float("-inf")

    def current(self) -> bytes:
        return self._load(force=False)[0]

    def accepted(self) -> tuple[bytes, ...]:
        """The keys a cursor may have been signed with: current first, then previous."""
        return self._load(force=False)

    def refetch(self) -> tuple[bytes, ...]:
        """Reload now, for a signature no cached key knows (another process may have the
        rotated key already), unless such a reload happened very recently."""
        with self._lock:
            now = time.monotonic()
            allowed = now - self._forced_at >= _MIN_REFETCH_SECONDS
            if allowed:
                self._forced_at = now
        return self._load(force=allowed)

    def _load(self, *, force: bool) -> tuple[bytes, ...]:
        with self._lock:
            fresh = time.monotonic() - self._fetched_at < _REFRESH_SECONDS
            if self._keys and fresh and not force:
                return self._keys
            keys = [self._fetch("AWSCURRENT")]
            previous = self._fetch("AWSPREVIOUS", missing_ok=True)
            if previous is not None and previous != keys[0]:
                keys.append(previous)
            self._keys = tuple(k for k in keys if k is not None)
            self._fetched_at = time.monotonic()
            return self._keys

    def _fetch(self, stage: str, *, missing_ok: bool = False) -> bytes | None:
        # Always name the stage: without it, some emulators return a stale version.
        try:
            response = self._clients.secretsmanager.get_secret_value(
                SecretId=self._arn, VersionStage=stage
            )
        except ClientError as error:
            if missing_ok and error_code(error) == "ResourceNotFoundException":
                return None
            if is_unavailable(error):
                raise DependencyUnavailable("Secrets Manager", error) from error
            raise
        except BotoCoreError as error:
            if is_unavailable(error):
                raise DependencyUnavailable("Secrets Manager", error) from error
            raise
        return response["SecretString"].encode()
