"""The emulator's state in a file, for a crash that the state survives.

moto keeps everything in memory, so a killed emulator used to come back empty: no table, no
user pool, no secret. AWS's services do not lose what they acknowledged when a front end dies,
and the fault tests need that: they kill the emulator under load and check that nothing
acknowledged was lost and nothing was half-written.

`save` writes every backend that holds anything (one pickle, so the references between
services survive) and `restore` puts it back before the emulator serves again. moto's RSA and
EC private keys (Cognito's token key, KMS keys) do not pickle; they travel as PEM. Nor do the
defaultdicts some backends build with a lambda (SSM's tags: `lambda: defaultdict(dict)`), and
subclasses of defaultdict whose constructor takes other arguments (SSM's ParameterDict) do not
unpickle: every defaultdict travels as its class, a factory pickle can name, and its contents.
"""

from __future__ import annotations

import functools
import importlib
import io
import os

# Only our own state file, written by save() below, is ever loaded.
import pickle  # nosec B403
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from moto.core.base_backend import BackendDict


def _private_key(pem: bytes) -> Any:
    return serialization.load_pem_private_key(pem, password=None)


def _named_factory(factory: Callable[[], Any]) -> Callable[[], Any] | None:
    """A factory pickle can name that makes what this lambda makes, if there is an obvious one:
    `lambda: defaultdict(dict)` becomes partial(defaultdict, dict), `lambda: []` list."""
    made = factory()
    if isinstance(made, defaultdict):
        inner = made.default_factory
        if getattr(inner, "__name__", "") == "<lambda>":
            inner = _named_factory(inner)
            if inner is None:
                return None
        return functools.partial(defaultdict, inner)
    kind = type(made)
    if kind in (dict, list, set, int, str) and made == kind():
        return kind
    return None


def _empty_defaultdict(kind: type, factory: Callable[[], Any] | None) -> defaultdict:
    """An empty `kind` (defaultdict or a subclass) with this factory, its constructor unused."""
    made = kind.__new__(kind)
    defaultdict.__init__(made, factory)
    return made


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, defaultdict):
            factory = obj.default_factory
            if getattr(factory, "__name__", "") == "<lambda>":
                factory = _named_factory(factory)
                if factory is None:
                    return NotImplemented
            state = getattr(obj, "__dict__", None) or None
            return _empty_defaultdict, (type(obj), factory), state, None, iter(obj.items())
        if isinstance(obj, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            pem = obj.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            return _private_key, (pem,)
        return NotImplemented


def _where(backends: BackendDict) -> tuple[str, str]:
    """The module and the name under which moto keeps this service's backends."""
    module = importlib.import_module(backends.backend.__module__)
    for name, value in vars(module).items():
        if value is backends:
            return module.__name__, name
    raise LookupError(f"no module attribute holds the {backends.service_name} backends")


def save(path: Path) -> None:
    """Every backend that holds anything, to `path` (atomically: a crash mid-write leaves the
    previous file)."""
    state = [(*_where(backends), dict(backends.items())) for backends in BackendDict._instances]
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
    partial = path.with_suffix(path.suffix + ".partial")
    with partial.open("wb") as handle:
        handle.write(buffer.getvalue())
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


def restore(path: Path) -> int:
    """Put back the backends saved in `path`; returns how many services it held."""
    with path.open("rb") as handle:
        # Written by save() above, on this machine; never a client's input.
        state = pickle.load(handle)  # noqa: S301  # nosec B301
    for module_name, attribute, accounts in state:
        backends = getattr(importlib.import_module(module_name), attribute)
        backends.clear()
        backends.update(accounts)
        if backends not in BackendDict._instances:
            BackendDict._instances.append(backends)
    return len(state)
