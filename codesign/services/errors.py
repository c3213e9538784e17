"""The errors a use case gives a person, in one place.

Each carries a message id (translated where it is shown, in the calm voice of
DESIGN.md's "Words on the page") and, where needed, its parameters. The services
raise them; the web layer turns them into pages. Import them from here.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    """A problem with one form field (not raised: returned with the form)."""

    field: str  # the form field's id, so the error summary can link to it
    message: str  # a message id, translated where it is shown
    params: dict[str, int | str] = {}


class BadInput(Exception):
    """Input no honest form can send (unknown question, impossible value)."""


class AccountError(Exception):
    """A calm message id for the person (translated where shown)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AccessDenied(Exception):
    """The access policy (services.access) refused: not this person's to do."""


class RoundMissing(Exception):
    """There is no such round (any more)."""


class Refused(Exception):
    """An action the round's state does not allow; `message` says why, calmly."""

    def __init__(self, message: str, params: Mapping[str, str | int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.params = dict(params or {})


class BoardError(Exception):
    """A calm message id for the person (translated where shown)."""

    def __init__(self, message: str, params: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.params = params or {}


class NotOnBoard(BoardError):
    """Someone who is not on the round's board tried to speak for it."""


class SafeguardingError(Exception):
    """A calm message id for the person (translated where shown)."""

    def __init__(
        self, message: str, status: int = 409, limit: int | None = None, field: str = "note"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.params = {"limit": limit} if limit is not None else {}
        self.field = field  # which form field a 422 is about
