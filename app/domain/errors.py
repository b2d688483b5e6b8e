"""What can go wrong in a use case, in the domain's words. The API maps each to one status."""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, detail: str):
        self.detail = detail
        super().__init__(detail)


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does."""


class Forbidden(DomainError):
    """The caller is a member, but their role does not allow this."""


class Conflict(DomainError):
    """The change contradicts the current state (already a member, the last owner)."""


class LimitReached(Conflict):
    """The change would take a user or a workspace past a product limit (docs/api.md)."""


class TooManyRequests(DomainError):
    """A rate limit of the product (invitations a day): try again after `retry_after` seconds."""

    def __init__(self, detail: str, retry_after: int):
        self.retry_after = retry_after
        super().__init__(detail)


class PreconditionFailed(DomainError):
    """The caller's version of the resource is no longer the current one."""


class LostRace(PreconditionFailed):
    """The resource changed between this change's read and its write: the version it was
    computed from is no longer current (commits.against_any_version reads it again)."""


class InvalidInput(DomainError):
    """Well-formed input that breaks a rule only the domain can check (e.g. an assignee who is
    not a member)."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("The request breaks a rule: " + ", ".join(sorted(errors)))
