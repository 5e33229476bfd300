"""Errors the template engine raises, worded like CloudFormation's so callers can pass them on."""

from __future__ import annotations


class TemplateError(Exception):
    """A template CloudFormation would reject, or an intrinsic it could not resolve."""


class ParameterError(TemplateError):
    """Parameter values CloudFormation would reject; ``messages`` holds one line per problem.

    CloudFormation reports every bad parameter of a request at once, so the engine collects them
    all instead of stopping at the first.
    """

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))
