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


class RateLimited(ServiceError):
    """Too many of something in a while: 429 with Retry-After (seconds) and code HTTP-429 (CONTRACT §7)."""

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__("HTTP-429", detail, status=429)
        self.retry_after = max(1, int(retry_after))


class FieldError:
    """One failed validation rule: an AUTH.VLD/STD.VLD code, a plain description and the JSON paths."""

    __slots__ = ("code", "detail", "paths")

    def __init__(self, code: str, detail: str, paths: list[str]):
        self.code = code
        self.detail = detail
        self.paths = list(paths)

    def __repr__(self) -> str:
        return f"FieldError({self.code!r}, {self.detail!r}, {self.paths!r})"

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.detail, "detail": self.detail, "paths": self.paths}


class ValidationFailed(ServiceError):
    """Input broke one or more validation rules; the API answers 400 with code STD-00000."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("STD-00000", "One or more validation errors occurred.", status=400, items=errors)
        self.errors = errors
