"""Intrinsic functions and condition functions, evaluated the way CloudFormation evaluates them.

Facts from the CloudFormation "Intrinsic function reference" relied on here:
- Ref of a parameter returns its value (a list for list types, a string for Number), of a resource
  its type's identifier, of ``AWS::NoValue`` removes the property (or list item) it stands for.
- Fn::GetAtt takes ``[LogicalId, Attribute]`` or, in YAML short form, ``LogicalId.Attribute``.
- Fn::Sub takes a string or ``[string, {Var: value}]``; ``${Name}`` is a Ref, ``${Res.Attr}`` a
  GetAtt, and ``${!Literal}`` writes ``${Literal}`` verbatim.
- Fn::Select on an index past the end fails; Fn::GetAZs of "" means the stack's region.
- Fn::ImportValue of a name no stack exports fails with "No export named X found.".
- Fn::If evaluates only the branch it takes; conditions cannot reference resources.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any

from .errors import TemplateError
from .parameters import ParameterDecl, parameter_members, template_scalar
from .resources import PhysicalResource


class _NoValue:
    """``Ref: AWS::NoValue`` — the value is removed from the enclosing object or list."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
FUNCTIONS = ("Fn::Base64", "Fn::FindInMap", "Fn::GetAtt", "Fn::GetAZs", "Fn::If",
             "Fn::ImportValue", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::Sub", "Ref")
CONDITION_FUNCTIONS = ("Fn::And", "Fn::Equals", "Fn::Not", "Fn::Or", "Condition")


def unresolved(name: str) -> TemplateError:
    return TemplateError("Template format error: Unresolved resource dependencies "
                         f"[{name}] in the Resources block of the template")


def function_of(node: Any) -> str | None:
    """The function a one-key ``{"Fn::…": …}`` / ``{"Ref": …}`` object calls, else None."""
    if isinstance(node, dict) and len(node) == 1:
        (key,) = node
        if key == "Ref" or key == "Condition" or str(key).startswith("Fn::"):
            return str(key)
    return None


def getatt_target(args: Any) -> tuple[str, Any]:
    """``(LogicalId, Attribute)`` of either Fn::GetAtt form."""
    if isinstance(args, str) and "." in args:
        logical_id, attribute = args.split(".", 1)
        return logical_id, attribute
    if isinstance(args, list) and len(args) == 2 and isinstance(args[0], str):
        return args[0], args[1]
    raise TemplateError("Template error: every Fn::GetAtt object requires two non-empty parameters")


def sub_variables(text: str) -> list[str]:
    """The variable names a Fn::Sub string uses (``${!…}`` escapes excluded)."""
    return [name for name in _SUB_VARIABLE.findall(text) if not name.startswith("!")]


class NamesUsed:
    """The names a piece of template uses, by kind (both Fn::If branches included)."""

    def __init__(self) -> None:
        self.refs: set[str] = set()          # Ref targets and plain Fn::Sub variables
        self.getatts: set[str] = set()       # Fn::GetAtt targets and ${Res.Attr} variables
        self.conditions: set[str] = set()    # Fn::If conditions and {Condition: …}

    def walk(self, node: Any) -> NamesUsed:
        function = function_of(node)
        args = node[function] if function else None
        if function == "Ref":
            if isinstance(args, str):
                self.refs.add(args)
        elif function == "Condition" and isinstance(args, str):
            self.conditions.add(args)
        elif function == "Fn::GetAtt":
            self.getatts.add(getatt_target(args)[0])
        elif function == "Fn::Sub":
            text, local = args, {}
            if isinstance(args, list) and len(args) == 2 and isinstance(args[1], dict):
                text, local = args
                self.walk(local)
            for name in sub_variables(str(text)):
                if name in local:
                    continue
                if "." in name:
                    self.getatts.add(name.split(".", 1)[0])
                else:
                    self.refs.add(name)
        else:
            if function == "Fn::If" and isinstance(args, list) and args:
                self.conditions.add(str(args[0]))
                args = args[1:]
            if function:
                children = [args]
            elif isinstance(node, dict):
                children = list(node.values())
            else:
                children = node if isinstance(node, list) else []
            for child in children:
                self.walk(child)
        return self


def references(node: Any) -> set[str]:
    """Every name the node refers to (Ref, GetAtt target, Sub variable), both If branches included.

    CloudFormation orders resource creation by these references, statically.
    """
    used = NamesUsed().walk(node)
    return used.refs | used.getatts


class Evaluator:
    """Evaluates template values against one stack's parameters, conditions and resources."""

    def __init__(self, *, parameters: Mapping[str, str], decls: Mapping[str, ParameterDecl],
                 pseudo: Mapping[str, Any], mappings: Mapping[str, Any],
                 exports: Mapping[str, str], condition_bodies: Mapping[str, Any],
                 declared_resources: set[str], azs: Callable[[str], list[str]]) -> None:
        self.parameters = parameters
        self.decls = decls
        self.pseudo = pseudo
        self.mappings = mappings
        self.exports = exports
        self.declared_resources = declared_resources
        self.resources: dict[str, PhysicalResource] = {}
        self.azs = azs
        self._condition_bodies = condition_bodies
        self._conditions: dict[str, bool] = {}
        self._evaluating: list[str] = []
        self._in_conditions = False

    # Conditions ------------------------------------------------------------------------------
    def condition(self, name: Any) -> bool:
        """The value of a named condition (evaluated once, cycles refused)."""
        if not isinstance(name, str) or name not in self._condition_bodies:
            raise TemplateError(f"Template format error: Unresolved condition dependency {name}")
        if name not in self._conditions:
            if name in self._evaluating:
                raise TemplateError("Template error: circular condition dependency "
                                    f"{' -> '.join([*self._evaluating, name])}")
            self._evaluating.append(name)
            outer, self._in_conditions = self._in_conditions, True
            try:
                self._conditions[name] = self._truth(self._condition_bodies[name])
            finally:
                self._in_conditions = outer
                self._evaluating.pop()
        return self._conditions[name]

    def _truth(self, node: Any) -> bool:
        function = function_of(node)
        if function == "Condition":
            return self.condition(node["Condition"])
        args = node[function] if function else None
        if function == "Fn::Equals":
            if not isinstance(args, list) or len(args) != 2:
                raise TemplateError("Template error: Fn::Equals requires a list of 2 values")
            left, right = (self.value(item) for item in args)
            return _scalar_text(left) == _scalar_text(right)
        if function == "Fn::Not":
            if not isinstance(args, list) or len(args) != 1:
                raise TemplateError("Template error: Fn::Not requires a list of 1 condition")
            return not self._truth(args[0])
        if function in ("Fn::And", "Fn::Or"):
            if not isinstance(args, list) or not 2 <= len(args) <= 10:
                raise TemplateError(f"Template error: {function} requires 2 to 10 conditions")
            results = (self._truth(item) for item in args)
            return all(results) if function == "Fn::And" else any(results)
        if isinstance(node, bool) or node in ("true", "false"):
            return node is True or node == "true"
        raise TemplateError("Template format error: Conditions can only be boolean operations "
                            "on parameters and other conditions")

    # Values ----------------------------------------------------------------------------------
    def value(self, node: Any) -> Any:
        """The evaluated node; ``NO_VALUE`` entries are dropped from objects and lists."""
        function = function_of(node)
        if function is not None:
            return self._call(function, node[function])
        if isinstance(node, dict):
            evaluated = {key: self.value(item) for key, item in node.items()}
            return {key: item for key, item in evaluated.items() if item is not NO_VALUE}
        if isinstance(node, list):
            return [item for item in (self.value(entry) for entry in node)
                    if item is not NO_VALUE]
        return node

    def _call(self, function: str, args: Any) -> Any:
        handler = _HANDLERS.get(function)
        if function in ("Fn::And", "Fn::Or", "Fn::Not", "Fn::Equals", "Condition"):
            if self._in_conditions:
                return self._truth({function: args})
            raise TemplateError(f"Template error: {function} can only be used in Conditions "
                                "or inside Fn::If")
        if handler is None:
            raise TemplateError(f"Template format error: Encountered unsupported function: "
                                f"{function} Supported functions are: [{', '.join(FUNCTIONS)}]")
        return handler(self, args)

    def ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise TemplateError("Template format error: Ref takes the name of a parameter, "
                                "resource or pseudo parameter")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            decl = self.decls[name]
            value = self.parameters[name]
            return parameter_members(decl, value) if decl.is_list else value
        if name in self.declared_resources:
            if self._in_conditions:
                raise TemplateError("Template error: Cannot reference resources in the "
                                    "Conditions block of the template")
            if name in self.resources:
                return self.resources[name].physical_id
        raise unresolved(name)

    def getatt(self, args: Any) -> str:
        logical_id, attribute = getatt_target(args)
        attribute = self.value(attribute)
        if logical_id not in self.declared_resources:
            raise TemplateError("Template error: instance of Fn::GetAtt references undefined "
                                f"resource {logical_id}")
        if logical_id not in self.resources:
            raise unresolved(logical_id)
        resource = self.resources[logical_id]
        if attribute not in resource.attributes:
            raise TemplateError(f"Template error: resource {logical_id} does not support "
                                f"attribute type {attribute} in Fn::GetAtt")
        return resource.attributes[attribute]

    def sub(self, args: Any) -> str:
        if isinstance(args, str):
            text, local = args, {}
        elif (isinstance(args, list) and len(args) == 2 and isinstance(args[0], str)
              and isinstance(args[1], dict)):
            text, local = args[0], {key: self.value(item) for key, item in args[1].items()}
        else:
            raise TemplateError("Template error: One or more Fn::Sub intrinsic functions don't "
                                "specify expected arguments. Specify a string as first argument, "
                                "and an optional second argument to specify a mapping of values "
                                "to replace in the string")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                resolved = local[name]
            elif "." in name and name not in self.pseudo:
                resolved = self.getatt(name)
            else:
                resolved = self.ref(name)
            if not isinstance(resolved, str | int | float):
                raise TemplateError(f"Template error: variable {name} in Fn::Sub expression "
                                    "does not resolve to a string")
            return template_scalar(resolved)

        return _SUB_VARIABLE.sub(replace, text)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_scalar_text(item) for item in value)
    return str(value)


def _string(function: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TemplateError(f"Template error: {function} requires a string value, got {value!r}")
    return str(value)


def _list_of(function: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TemplateError(f"Template error: {function} requires a list of values")
    return value


def _join(ev: Evaluator, args: Any) -> str:
    if not isinstance(args, list) or len(args) != 2:
        raise TemplateError("Template error: Fn::Join requires [delimiter, list of values]")
    delimiter = _string("Fn::Join", ev.value(args[0]))
    items = _list_of("Fn::Join", ev.value(args[1]))
    return delimiter.join(_string("Fn::Join", item) for item in items)


def _select(ev: Evaluator, args: Any) -> Any:
    if not isinstance(args, list) or len(args) != 2:
        raise TemplateError("Template error: Fn::Select requires [index, list of values]")
    raw_index = ev.value(args[0])
    try:
        index = int(_string("Fn::Select", raw_index))
    except ValueError:
        raise TemplateError("Template error: Fn::Select requires an integer index") from None
    items = _list_of("Fn::Select", ev.value(args[1]))
    if not 0 <= index < len(items):
        raise TemplateError("Template error: Fn::Select cannot select nonexistent value at "
                            f"index {index}")
    return items[index]


def _split(ev: Evaluator, args: Any) -> list[str]:
    if not isinstance(args, list) or len(args) != 2:
        raise TemplateError("Template error: Fn::Split requires [delimiter, string]")
    delimiter = _string("Fn::Split", ev.value(args[0]))
    if delimiter == "":
        raise TemplateError("Template error: Fn::Split requires a non-empty delimiter")
    return _string("Fn::Split", ev.value(args[1])).split(delimiter)


def _if(ev: Evaluator, args: Any) -> Any:
    if not isinstance(args, list) or len(args) != 3:
        raise TemplateError("Template error: Fn::If requires a list argument with three "
                            "elements")
    return ev.value(args[1] if ev.condition(args[0]) else args[2])


def _import_value(ev: Evaluator, args: Any) -> str:
    name = _string("Fn::ImportValue", ev.value(args))
    if name not in ev.exports:
        raise TemplateError(f"No export named {name} found.")
    return ev.exports[name]


def _find_in_map(ev: Evaluator, args: Any) -> Any:
    if not isinstance(args, list) or len(args) != 3:
        raise TemplateError("Template error: Fn::FindInMap requires [map, top key, second key]")
    map_name, top, second = (_string("Fn::FindInMap", ev.value(item)) for item in args)
    try:
        return ev.mappings[map_name][top][second]
    except (KeyError, TypeError):
        raise TemplateError(f"Template error: Unable to get mapping for "
                            f"{map_name}::{top}::{second}") from None


def _get_azs(ev: Evaluator, args: Any) -> list[str]:
    region = _string("Fn::GetAZs", ev.value(args))
    return ev.azs(region or ev.pseudo["AWS::Region"])


def _base64(ev: Evaluator, args: Any) -> str:
    text = _string("Fn::Base64", ev.value(args))
    return base64.b64encode(text.encode()).decode()


_HANDLERS: dict[str, Callable[[Evaluator, Any], Any]] = {
    "Ref": Evaluator.ref,
    "Fn::GetAtt": Evaluator.getatt,
    "Fn::Sub": Evaluator.sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::ImportValue": _import_value,
    "Fn::FindInMap": _find_in_map,
    "Fn::GetAZs": _get_azs,
    "Fn::Base64": _base64,
}
