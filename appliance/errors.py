"""Every error Optera raises itself: HTTP status, error code, public message.

Rendering into OpenAI's or Anthropic's JSON error body is the provider
format's job (`ProviderFormat.error_body`); a message here never holds a key.
"""

from __future__ import annotations


class OpteraError(Exception):
    """An error answered to the caller in its protocol's error format."""

    status: int = 500
    code: str = "internal_error"
    kind: str = "api_error"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class InvalidRequest(OpteraError):
    status = 400
    code = "invalid_request"
    kind = "invalid_request_error"


class BodyTooLarge(OpteraError):
    status = 413
    code = "request_too_large"
    kind = "request_too_large"


class MissingProxyKey(OpteraError):
    status = 401
    code = "missing_proxy_key"
    kind = "authentication_error"


class InvalidProxyKey(OpteraError):
    status = 401
    code = "invalid_proxy_key"
    kind = "authentication_error"


class NoSubscription(OpteraError):
    status = 402
    code = "subscription_required"
    kind = "billing_error"


class QuotaExceeded(OpteraError):
    status = 429
    code = "quota_exceeded"
    kind = "rate_limit_error"


class BurstLimited(OpteraError):
    status = 429
    code = "burst_limit_exceeded"
    kind = "rate_limit_error"


class UpstreamUnreachable(OpteraError):
    status = 502
    code = "upstream_unreachable"
    kind = "api_error"


class UpstreamTimeout(OpteraError):
    status = 504
    code = "upstream_timeout"
    kind = "timeout_error"


class NotFound(OpteraError):
    status = 404
    code = "not_found"
    kind = "not_found_error"


class MethodNotAllowed(OpteraError):
    status = 405
    code = "method_not_allowed"
    kind = "invalid_request_error"
