"""IAM-lite policy evaluation: whether policy documents allow one request, as AWS decides it.

Facts (IAM user guide, "Policy evaluation logic", "Condition element", "Condition operators",
"Policy variables", "Multivalued context keys"):

- An explicit ``Deny`` in any applicable policy wins; otherwise an ``Allow`` is needed; nothing
  matching is the implicit deny. An SCP limits, never grants: a request needs the identity
  policies' Allow and no SCP Deny (the FullAWSAccess SCP is assumed attached).
- ``Action`` matches case-insensitively with ``*``/``?`` wildcards; ``Resource`` matches
  case-sensitively with the same wildcards; ``Not*`` elements match what the list does not.
- All operators of a ``Condition`` block must hold, and all keys of an operator; the values of one
  key are ORed. Condition key names are case-insensitive.
- A key absent from the request context: the condition is false, except that negated operators
  (``StringNotEquals``, ``StringNotLike``, ``ArnNotLike``…) are true, ``…IfExists`` is true,
  ``Null`` tests presence itself, and ``ForAllValues:`` is true (empty set).
- ``ForAnyValue:`` holds when at least one request value matches, ``ForAllValues:`` when every one
  does. A policy variable ``${key}`` whose key is absent makes its condition false.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_VARIABLE = re.compile(r"\$\{([^}]+)\}")
Context = Mapping[str, str | Sequence[str]]


class _MissingVariable(Exception):
    pass


@dataclass(frozen=True)
class Call:
    """One request as IAM sees it: the action, the resource ARN and the request context."""

    action: str
    resource: str = ""
    context: Context = field(default_factory=dict)
    principal: str = ""  # the caller's ARN, for resource policies (a role's trust policy)


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _glob(pattern: str, text: str, *, case: bool) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one character, nothing else special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL | (0 if case else re.IGNORECASE)) is not None


def _lookup(context: Context, key: str) -> list[str] | None:
    wanted = key.lower()
    for name, value in context.items():
        if name.lower() == wanted:
            return [str(v) for v in _list(value)]
    return None


def _substitute(value: str, context: Context) -> str:
    def one(match: re.Match[str]) -> str:
        found = _lookup(context, match.group(1))
        if not found:
            raise _MissingVariable(match.group(1))
        return found[0]
    return _VARIABLE.sub(one, value)


def _compare(base: str, actual: str, wanted: str) -> bool:
    if base == "StringEquals":
        return actual == wanted
    if base == "StringEqualsIgnoreCase":
        return actual.lower() == wanted.lower()
    if base in ("StringLike", "ArnLike", "ArnEquals"):
        return _glob(wanted, actual, case=True)
    if base == "Bool":
        return actual.lower() == wanted.lower()
    raise ValueError(f"IAM-lite does not evaluate the condition operator {base!r}")


_NEGATED = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase":
            "StringEqualsIgnoreCase", "StringNotLike": "StringLike", "ArnNotLike": "ArnLike",
            "ArnNotEquals": "ArnEquals"}


def _operator_holds(operator: str, key: str, wanted_raw: Any, context: Context) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists") and name != "IfExists"
    name = name.removesuffix("IfExists") if if_exists else name
    actual = _lookup(context, key)
    if name == "Null":
        return (actual is None) == (str(_list(wanted_raw)[0]).lower() == "true")
    if actual is None:
        return if_exists or name in _NEGATED or qualifier == "ForAllValues"
    try:
        wanted = [_substitute(str(w), context) for w in _list(wanted_raw)]
    except _MissingVariable:
        return False
    negated = name in _NEGATED
    base = _NEGATED.get(name, name)

    def matches(value: str) -> bool:
        return any(_compare(base, value, w) for w in wanted)

    if qualifier == "ForAllValues":
        hits = all(matches(v) for v in actual)
        return not hits if negated else hits
    if qualifier == "ForAnyValue":
        hits = any(matches(v) for v in actual)
        return not hits if negated else hits
    # A single-valued key (a multivalued one needs a qualifier).
    return not matches(actual[0]) if negated else matches(actual[0])


def conditions_hold(condition: Mapping[str, Mapping[str, Any]], context: Context) -> bool:
    return all(_operator_holds(operator, key, wanted, context)
               for operator, keys in condition.items() for key, wanted in keys.items())


def _principal_matches(principal: Any, arn: str) -> bool:
    """A ``Principal`` element: ``"*"`` or ``{"AWS": ARN(s)}``; an account's ``:root`` ARN stands
    for every principal of that account (IAM user guide, "AWS JSON policy elements: Principal")."""
    if principal == "*":
        return True
    for wanted in _list(principal.get("AWS", [])):
        account = wanted.split(":")[4] if wanted.count(":") >= 5 else wanted
        if wanted == "*" or wanted == arn or (
                wanted.endswith(":root") and arn.split(":")[4:5] == [account]):
            return True
    return False


def statement_applies(statement: Mapping[str, Any], call: Call) -> bool:
    if "Principal" in statement and not _principal_matches(statement["Principal"],
                                                           call.principal):
        return False
    if "Action" in statement:
        actions = any(_glob(a, call.action, case=False) for a in _list(statement["Action"]))
    else:
        actions = not any(_glob(a, call.action, case=False)
                          for a in _list(statement["NotAction"]))
    if not actions:
        return False
    if "Resource" in statement:
        resources = any(_glob(r, call.resource, case=True) for r in _list(statement["Resource"]))
    elif "NotResource" in statement:
        resources = not any(_glob(r, call.resource, case=True)
                            for r in _list(statement["NotResource"]))
    else:
        resources = True  # a trust policy: the resource is the role it is attached to
    return resources and conditions_hold(statement.get("Condition", {}), call.context)


def decision(*, call: Call, policies: Iterable[Mapping[str, Any]],
             scps: Iterable[Mapping[str, Any]] = ()) -> str:
    """``"allowed"``, ``"explicit-deny"`` or ``"implicit-deny"`` for ``call``."""
    scp_statements = [s for d in scps for s in _list(d.get("Statement", []))]
    if any(s["Effect"] != "Deny" for s in scp_statements):
        raise ValueError("IAM-lite evaluates deny-list SCPs only (FullAWSAccess attached)")
    statements = [s for d in policies for s in _list(d.get("Statement", []))]
    applying = [s for s in [*scp_statements, *statements] if statement_applies(s, call)]
    if any(s["Effect"] == "Deny" for s in applying):
        return "explicit-deny"
    return "allowed" if applying else "implicit-deny"


def identity_allows(*, call: Call, policies: Sequence[Mapping[str, Any]]) -> bool:
    """An Allow in the identity policies applies and no Deny does."""
    return decision(call=call, policies=policies) == "allowed"
