"""Template ``Rules`` (Service Catalog template constraints), checked with the parameters.

Facts from the CloudFormation "Rules" section reference and the Service Catalog "Template
constraint rules" reference: a rule has an optional RuleCondition and one or more Assertions
(``Assert`` + ``AssertDescription``); when the RuleCondition is false the rule does not apply;
rules use only Fn::And, Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn, Fn::Equals,
Fn::If, Fn::Not, Fn::Or, Fn::RefAll, Fn::ValueOf and Fn::ValueOfAll, and refer to parameters.
A failing assertion refuses the request with its AssertDescription.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ParameterError, TemplateError
from .intrinsics import function_of
from .parameters import ParameterDecl, parameter_members, template_scalar


class _RuleValues:
    def __init__(self, decls: list[ParameterDecl], values: Mapping[str, str]) -> None:
        self.decls = {decl.key: decl for decl in decls}
        self.values = values

    def value(self, node: Any) -> Any:
        function = function_of(node)
        if function is None:
            if isinstance(node, list):
                return [self.value(item) for item in node]
            return template_scalar(node) if not isinstance(node, dict) else node
        args = node[function]
        if function == "Ref":
            if args not in self.decls:
                raise TemplateError(f"Template format error: Unresolved dependencies [{args}]. "
                                    "Cannot reference resources in the Rules block of the "
                                    "template")
            decl, value = self.decls[args], self.values[args]
            return parameter_members(decl, value) if decl.is_list else value
        if function == "Fn::RefAll":
            return [self.values[d.key] for d in self.decls.values() if d.type == args]
        if function in ("Fn::ValueOf", "Fn::ValueOfAll"):
            # They read attributes of existing AWS resources (a subnet's VPC…), which the
            # template engine does not know; refusing beats a guess.
            raise TemplateError(f"Template error: {function} is not supported by this fake AWS")
        return self.truth(node)

    def truth(self, node: Any) -> bool:
        """A condition's value: a rule function with its arguments, or a literal true/false."""
        function = function_of(node) or ""
        args = node[function] if function else None
        wanted = _ARGUMENTS.get(function)
        if wanted is not None and isinstance(args, list) and (
                len(args) == wanted if wanted else len(args) > 0):
            return self._function_truth(function, args)
        if isinstance(node, bool) or node in ("true", "false"):
            return node is True or node == "true"
        raise TemplateError(f"Template format error: unsupported rule expression {node!r}")

    def _function_truth(self, function: str, args: list[Any]) -> bool:
        if function == "Fn::Equals":
            return _text(self.value(args[0])) == _text(self.value(args[1]))
        if function == "Fn::Not":
            return not self.truth(args[0])
        if function in ("Fn::And", "Fn::Or"):
            results = [self.truth(item) for item in args]
            return all(results) if function == "Fn::And" else any(results)
        if function == "Fn::If":
            return self.truth(args[1] if self.truth(args[0]) else args[2])
        return self._members_truth(function, args)

    def _members_truth(self, function: str, args: list[Any]) -> bool:
        """Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn: a list (or one value) against
        a value or a list of them, compared as text."""
        left, right = self.value(args[0]), self.value(args[1])
        members = left if isinstance(left, list) else [left]
        if function == "Fn::Contains":
            return _text(right) in [_text(m) for m in members]
        if function == "Fn::EachMemberEquals":
            return all(_text(m) == _text(right) for m in members)
        allowed = [_text(r) for r in (right if isinstance(right, list) else [right])]
        return all(_text(m) in allowed for m in members)


# The rule functions that give a condition, by their number of arguments (0: one or more).
_ARGUMENTS = {"Fn::Equals": 2, "Fn::Not": 1, "Fn::And": 0, "Fn::Or": 0, "Fn::If": 3,
              "Fn::Contains": 2, "Fn::EachMemberEquals": 2, "Fn::EachMemberIn": 2}


def _text(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def rules_check(*, rules: Any, decls: list[ParameterDecl], values: Mapping[str, str]) -> None:
    """Raise ParameterError with the description of every assertion that fails."""
    if not rules:
        return
    if not isinstance(rules, dict):
        raise TemplateError("Template format error: Rules must be an object")
    evaluator = _RuleValues(decls, values)
    failures: list[str] = []
    for name, rule in rules.items():
        if not isinstance(rule, dict) or not isinstance(rule.get("Assertions"), list):
            raise TemplateError(f"Template format error: Rule {name} must have Assertions")
        if "RuleCondition" in rule and not evaluator.truth(rule["RuleCondition"]):
            continue
        for assertion in rule["Assertions"]:
            if not isinstance(assertion, dict) or "Assert" not in assertion:
                raise TemplateError(f"Template format error: every assertion of rule {name} "
                                    "must have an Assert")
            if not evaluator.truth(assertion["Assert"]):
                failures.append(str(assertion.get("AssertDescription")
                                    or f"Assertion of rule {name} failed"))
    if failures:
        raise ParameterError(failures)
