"""Errors the service raises; the web layer maps each to one HTTP status."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class; ``str(error)`` is a message fit to show the user."""

    status_code = 400


class InvalidInput(ServiceError, ValueError):
    status_code = 422


class NotFound(ServiceError, LookupError):
    status_code = 404


class Forbidden(ServiceError, PermissionError):
    status_code = 403


class Conflict(ServiceError):
    """Someone else changed the record since the caller read it (optimistic locking)."""

    status_code = 409

    def __init__(self, message: str, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class RateLimited(ServiceError):
    status_code = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class InvalidCredentials(ServiceError):
    status_code = 401


class AlreadyExists(ServiceError):
    """A record with this unique name exists already."""

    status_code = 409


def check_text(field: str, value: str) -> str:
    """``value`` unchanged, or :class:`InvalidInput` when it holds a NUL character.

    PostgreSQL cannot store NUL (``\\x00``) in text and fails the whole statement; SQLite
    would keep it. Refusing it at the input makes both databases answer alike (422).
    """
    if "\x00" in value:
        raise InvalidInput(f"`{field}` contains a NUL character (\\x00); remove it")
    return value
