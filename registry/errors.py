"""The one error type services raise. API views turn it into problem+json, portal views into a message."""

from typing import Any


class ServiceError(Exception):
    """A refused operation, with Altinn's problem code (AUTH-nnnnn) and HTTP status."""

    def __init__(self, code: str, detail: str, *, status: int = 400, items: list[Any] | None = None):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.status = status
        self.items = items or []
