"""Domain errors: broken business rules, with a message fit for the person at the screen."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule said no. `field` names the form field the message belongs beside, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The actor's role does not allow this."""


class InvalidCredentials(DomainError):
    """Email, password, PIN or code did not match."""


class Throttled(DomainError):
    """Too many failed attempts; try again later."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
