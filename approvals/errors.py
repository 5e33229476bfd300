"""Domain errors of the approval workflow; views and the API turn them into 4xx answers."""

from __future__ import annotations

from typing import Any


class ApprovalError(Exception):
    """Base class: a refused action. Nothing was changed when one is raised."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RequestInvalid(ApprovalError):
    """The request's input is invalid; ``errors`` maps each field to its messages.

    Parameter errors are nested: ``{"parameters": {"InstanceType": ["Choose one of: …"]}}``.
    """

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("The request is not valid; see the errors per field.")
        self.errors = errors


class CommentRequired(ApprovalError):
    """A rejection without a reason."""


class NotEligible(ApprovalError):
    """The user may not decide this task (not one of its approvers)."""

    status_code = 403


class SelfApproval(NotEligible):
    """Separation of duties: nobody decides their own request."""


class NotAllowed(ApprovalError):
    """The user may see the request but not do this to it."""

    status_code = 403


class AlreadyDecided(ApprovalError):
    """The task (or the request) was decided, expired or withdrawn before this decision."""

    status_code = 409


class InvalidTransition(ApprovalError):
    """The request is not in a state that allows this action."""

    status_code = 409


class DelegationInvalid(ApprovalError):
    """A delegation's input is invalid; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("The delegation is not valid; see the errors per field.")
        self.errors = errors
