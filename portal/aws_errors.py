"""One translation of botocore errors for every app that calls AWS (catalog sync, provisioning).

Retries live in ONE layer: botocore's retry handler (``mode="adaptive"``; botocore's legacy
``max_attempts`` key counts retries, so a call is tried 1 + ``PORTAL_AWS_MAX_ATTEMPTS`` times, see
``portal.aws.aws_config``). What that handler retries, read from
``botocore/retries/standard.py`` (botocore 1.3x; adaptive = standard + a client-side rate limiter
that slows the client down after throttling answers):

* throttling error codes (``ThrottledRetryableChecker``): the ``BOTOCORE_THROTTLING_CODES`` below,
  and an HTTP 429 whose error code is not a modeled error;
* transient errors (``TransientRetryableChecker``): ``RequestTimeout``,
  ``RequestTimeoutException``, ``PriorRequestNotComplete``, HTTP 500/502/503/504, and connection
  errors (``ConnectionError``, ``HTTPClientError``);
* errors the service model marks retryable (``ModeledRetryableChecker``).

Nothing else is retried: a validation, access or other client error reaches the caller after one
attempt. So when one of these errors arrives here, botocore has already spent its attempts; the
caller must not loop again (a Celery task may retry the whole operation later, minutes apart).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
)

# botocore's own list (ThrottledRetryableChecker._THROTTLED_ERROR_CODES), copied as data so the
# translation does not depend on a private attribute.
BOTOCORE_THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException",
})
# LimitExceededException is also what Service Catalog and SageMaker answer for a *quota* (too many
# provisioned products, notebook instances): waiting minutes does not help, so it is not treated as
# throttling here even though botocore spends its attempts on it.
THROTTLING_CODES = BOTOCORE_THROTTLING_CODES - {"LimitExceededException"}
UNAVAILABLE_CODES = frozenset({
    "InternalFailure", "InternalError", "InternalServerError", "InternalServiceError",
    "ServiceUnavailable", "ServiceUnavailableException", "RequestTimeout",
    "RequestTimeoutException", "IDPCommunicationError",
})
ACCESS_DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
    "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "RegionDisabledException",
})
NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "ResourceNotFound", "NoSuchEntity"})
# SageMaker answers a missing notebook or project with a ValidationException saying so.
NOT_FOUND_WORDS = ("does not exist", "not found", "recordnotfound", "cannot find")

# ARNs and 12-digit account ids: admins may see them, requesters may not.
_ARN = re.compile(r"arn:aws[a-z-]*:[^\s\"',;)]*")
_ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")


class AwsErrorKind(StrEnum):
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"
    ACCESS_DENIED = "access_denied"
    NOT_FOUND = "not_found"
    INVALID = "invalid"


@dataclass(frozen=True)
class AwsFailure:
    """A failed AWS call: ``message`` is safe for requesters, ``detail`` is for admins/audit."""

    kind: AwsErrorKind
    operation: str
    code: str
    message: str
    detail: str

    @property
    def retryable(self) -> bool:
        """Worth trying the whole operation again later (botocore already retried it now)."""
        return self.kind in (AwsErrorKind.THROTTLED, AwsErrorKind.UNAVAILABLE)


def aws_text_redact(text: str) -> str:
    """``text`` without ARNs or account ids (AWS puts both in AccessDenied messages)."""
    return _ACCOUNT_ID.sub("<account>", _ARN.sub("<arn>", text))


def aws_failure_classify(*, operation: str, exc: Exception) -> AwsFailure:
    """Classify a botocore exception (``ClientError`` or ``BotoCoreError``)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "Unknown")
        detail = str(error.get("Message") or "")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in THROTTLING_CODES or (status == 429 and code not in ACCESS_DENIED_CODES):
            kind = AwsErrorKind.THROTTLED
        elif code in UNAVAILABLE_CODES or status >= 500:
            kind = AwsErrorKind.UNAVAILABLE
        elif code in ACCESS_DENIED_CODES:
            kind = AwsErrorKind.ACCESS_DENIED
        elif code in NOT_FOUND_CODES or (
            code == "ValidationException" and any(w in detail.lower() for w in NOT_FOUND_WORDS)
        ):
            kind = AwsErrorKind.NOT_FOUND
        else:
            kind = AwsErrorKind.INVALID
        return AwsFailure(kind=kind, operation=operation, code=code,
                          message=aws_text_redact(detail), detail=detail)
    if isinstance(exc, NoCredentialsError):
        return AwsFailure(kind=AwsErrorKind.ACCESS_DENIED, operation=operation,
                          code="NoCredentials", message="The portal has no AWS credentials.",
                          detail=str(exc))
    if isinstance(exc, BotoCoreError):
        # Connection errors and timeouts (already retried by botocore): nothing was carried out.
        # A parameter validation error (ParamValidationError) is the portal's own bad input.
        kind = (AwsErrorKind.INVALID if isinstance(exc, ParamValidationError)
                else AwsErrorKind.UNAVAILABLE)
        return AwsFailure(kind=kind, operation=operation, code=type(exc).__name__,
                          message=aws_text_redact(str(exc)), detail=str(exc))
    raise TypeError(f"not a botocore error: {type(exc).__name__}")
