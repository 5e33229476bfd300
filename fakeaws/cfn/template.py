"""A CloudFormation template: load it, resolve its parameters, create or update its resources.

CloudFormation facts relied on (User Guide: template anatomy, Resources/Outputs/Conditions
sections, DependsOn attribute, change sets):
- Resources are created after everything they reference (Ref, Fn::GetAtt, Fn::Sub) and their
  DependsOn list; a cycle is a template error.
- A resource or output with a ``Condition`` that is false is not created / not reported.
- An update replaces a resource when a property whose "Update requires" is Replacement changes;
  a change set reports Replacement "True", "False" or "Conditional".
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import TemplateError
from .intrinsics import Evaluator, NamesUsed, references, unresolved
from .parameters import ParameterDecl, parameter_decls, parameters_resolve, template_scalar
from .resources import Naming, PhysicalResource, resource_build, resource_type
from .rules import rules_check

_SUFFIX_ALPHABET = string.ascii_uppercase + string.digits
PSEUDO_PARAMETERS = frozenset({
    "AWS::AccountId", "AWS::NoValue", "AWS::NotificationARNs", "AWS::Partition", "AWS::Region",
    "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"})


def random_suffix() -> str:
    """12 upper-case letters and digits, like the suffix of CloudFormation's generated names."""
    return "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(12))


@dataclass(frozen=True)
class StackInstance:
    """The resources a stack has (creation order), its evaluated outputs (template order) and
    the values those outputs export (``Export: {Name: …}``, for other stacks' Fn::ImportValue)."""

    resources: list[PhysicalResource]
    outputs: dict[str, str]
    exports: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StackContext:
    """Where and with what a template is instantiated."""

    account: str
    region: str
    stack_name: str
    stack_id: str
    parameters: Mapping[str, str]
    exports: Mapping[str, str] = field(default_factory=dict)
    existing: Mapping[str, PhysicalResource] = field(default_factory=dict)
    suffix: Callable[[], str] = random_suffix
    partition: str = "aws"


@dataclass(frozen=True)
class ResourceChange:
    """One line of a change set / Service Catalog plan."""

    logical_id: str
    resource_type: str
    physical_id: str
    action: str
    replacement: str
    properties: list[str]


def _plain(node: Any) -> Any:
    """cfn-lint's decoded nodes as plain dicts/lists/str (they carry line marks we do not need)."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, str):
        return str(node)
    return node


def _url_suffix(partition: str) -> str:
    return {"aws-cn": "amazonaws.com.cn"}.get(partition, "amazonaws.com")


def _azs(region: str) -> list[str]:
    return [f"{region}{letter}" for letter in "abc"]


_SECTIONS = frozenset({"AWSTemplateFormatVersion", "Conditions", "Description", "Mappings",
                       "Metadata", "Outputs", "Parameters", "Resources", "Rules", "Transform"})


class Template:
    """A parsed template; immutable, safe to share between stacks."""

    def __init__(self, body: dict[str, Any]) -> None:
        unknown = sorted(set(body) - _SECTIONS)
        if unknown:
            raise TemplateError("Template format error: Invalid template property or properties "
                                f"[{', '.join(unknown)}]")
        if "Transform" in body:
            # Macros (AWS::Serverless, AWS::LanguageExtensions…) rewrite the template before
            # CloudFormation reads it; the fake cannot, so it says so instead of guessing.
            raise TemplateError("Template error: this fake AWS does not run Transform macros")
        self.body = body
        self.parameters: list[ParameterDecl] = parameter_decls(body.get("Parameters"))
        resources = body.get("Resources")
        if not isinstance(resources, dict) or not resources:
            raise TemplateError("Template format error: At least one Resources member must be "
                                "defined.")
        for logical_id, resource in resources.items():
            if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
                raise TemplateError(f"Template format error: [/Resources/{logical_id}] "
                                    "Every Resources object must contain a Type member.")
        self.resources: dict[str, dict[str, Any]] = resources
        outputs = body.get("Outputs") or {}
        if not isinstance(outputs, dict):
            raise TemplateError("Template format error: Outputs must be an object")
        self.outputs: dict[str, dict[str, Any]] = outputs
        self.output_keys: list[str] = list(outputs)
        self.description: str = str(body.get("Description", ""))
        self.conditions: dict[str, Any] = body.get("Conditions") or {}
        self._check_names()
        self._order = self._creation_order()

    @classmethod
    def load(cls, text: str) -> Template:
        """Parse YAML (short-form tags included) or JSON with cfn-lint's decoder."""
        # Imported here: importing cfn-lint takes seconds (its package imports its whole
        # linter), which a process that never reads a template should not pay at start-up.
        from cfnlint.decode.decode import decode_str

        body, matches = decode_str(text)
        if matches:
            raise TemplateError(f"Template format error: {matches[0].message}")
        if not isinstance(body, dict):
            raise TemplateError("Template format error: the template is not an object")
        return cls(_plain(body))

    def resolve_parameters(self, given: Mapping[str, str]) -> dict[str, str]:
        """Defaults applied and every CloudFormation check made (ParameterError lists all),
        the template's Rules (Service Catalog template constraints) included."""
        resolved = parameters_resolve(self.parameters, given)
        rules_check(rules=self.body.get("Rules"), decls=self.parameters, values=resolved)
        return resolved

    def _check_names(self) -> None:
        """Refuse names nothing declares, in any branch: CloudFormation validates a template's
        references before it evaluates anything, so an untaken Fn::If branch is no hiding place.
        """
        parameters = {decl.key for decl in self.parameters}
        sections: list[tuple[Any, set[str]]] = [
            (self.conditions, parameters | PSEUDO_PARAMETERS)]
        values = parameters | PSEUDO_PARAMETERS | set(self.resources)
        for resource in self.resources.values():
            sections.append((resource.get("Properties"), values))
        sections.append((self.outputs, values))
        for section, allowed in sections:
            used = NamesUsed().walk(section)
            targets = sorted(used.getatts - set(self.resources))
            if targets:
                raise TemplateError("Template error: instance of Fn::GetAtt references "
                                    f"undefined resource {targets[0]}")
            names = sorted(used.refs - allowed)
            if names and names[0] in self.resources:  # only the Conditions forbid resources
                raise TemplateError("Template error: Cannot reference resources in the "
                                    "Conditions block of the template")
            if names:
                raise unresolved(names[0])
            conditions = sorted(used.conditions - set(self.conditions))
            if conditions:
                raise TemplateError("Template format error: Unresolved condition dependency "
                                    f"{conditions[0]}")
        guarded = [*self.resources.items(), *self.outputs.items()]
        undeclared = [(key, section["Condition"]) for key, section in guarded
                      if isinstance(section, dict) and "Condition" in section
                      and section["Condition"] not in self.conditions]
        if undeclared:
            raise TemplateError("Template format error: Unresolved condition dependency "
                                f"{undeclared[0][1]} in {undeclared[0][0]}")

    # Ordering --------------------------------------------------------------------------------
    def _dependencies(self, logical_id: str) -> list[str]:
        resource = self.resources[logical_id]
        depends_on = resource.get("DependsOn", [])
        named = [depends_on] if isinstance(depends_on, str) else list(depends_on)
        for name in named:
            if name not in self.resources:
                raise TemplateError(f"Template format error: Unresolved resource dependencies "
                                    f"[{name}] in the Resources block of the template")
        found = references(resource.get("Properties", {})) & set(self.resources)
        return [name for name in self.resources if name in found or name in named]

    def _creation_order(self) -> list[str]:
        """Dependencies first, otherwise template order (Kahn's algorithm, stable)."""
        pending = {name: set(self._dependencies(name)) for name in self.resources}
        order: list[str] = []
        while pending:
            ready = [name for name, deps in pending.items() if not deps - set(order)]
            if not ready:
                raise TemplateError("Circular dependency between resources: "
                                    f"[{', '.join(sorted(pending))}]")
            order.append(ready[0])
            del pending[ready[0]]
        return order

    # Instantiation ---------------------------------------------------------------------------
    def _evaluator(self, context: StackContext) -> Evaluator:
        parameters = self.resolve_parameters(context.parameters)
        pseudo = {
            "AWS::AccountId": context.account, "AWS::Region": context.region,
            "AWS::StackName": context.stack_name, "AWS::StackId": context.stack_id,
            "AWS::Partition": context.partition,
            "AWS::URLSuffix": _url_suffix(context.partition), "AWS::NotificationARNs": [],
        }
        return Evaluator(
            parameters=parameters, decls={decl.key: decl for decl in self.parameters},
            pseudo=pseudo, mappings=self.body.get("Mappings") or {}, exports=context.exports,
            condition_bodies=self.conditions, declared_resources=set(self.resources), azs=_azs)

    def _included(self, evaluator: Evaluator, section: Mapping[str, Any]) -> bool:
        return "Condition" not in section or evaluator.condition(section["Condition"])

    def _properties(self, evaluator: Evaluator, logical_id: str) -> dict[str, Any]:
        properties = evaluator.value(self.resources[logical_id].get("Properties", {}))
        if not isinstance(properties, dict):
            raise TemplateError(f"Template format error: [/Resources/{logical_id}/Properties] "
                                "must be an object")
        return properties

    def _check_types(self, existing: Mapping[str, PhysicalResource]) -> None:
        changed = sorted(logical_id for logical_id, resource in existing.items()
                         if logical_id in self.resources
                         and self.resources[logical_id]["Type"] != resource.type)
        if changed:
            raise TemplateError("Update of resource type is not permitted. The new template "
                                "modifies resource type of the following resources: "
                                f"[{', '.join(changed)}]")

    def instantiate(self, *, context: StackContext) -> StackInstance:
        """Create (or update, given ``context.existing``) every resource, evaluate the outputs."""
        self._check_types(context.existing)
        evaluator = self._evaluator(context)
        created: list[PhysicalResource] = []
        for logical_id in self._order:
            if not self._included(evaluator, self.resources[logical_id]):
                continue
            type_ = self.resources[logical_id]["Type"]
            properties = self._properties(evaluator, logical_id)
            previous = context.existing.get(logical_id)
            if previous is not None and _replaces(
                    type_, previous.properties, properties) != "False":
                previous = None
            resource = resource_build(
                naming=Naming(account=context.account, region=context.region,
                              partition=context.partition, stack_name=context.stack_name,
                              stack_id=context.stack_id, logical_id=logical_id,
                              suffix=context.suffix),
                type_=type_, properties=properties, previous=previous)
            evaluator.resources[logical_id] = resource
            created.append(resource)
        outputs: dict[str, str] = {}
        exports: dict[str, str] = {}
        for key, output in self.outputs.items():
            if not isinstance(output, dict) or "Value" not in output:
                raise TemplateError(f"Template format error: Output {key} is malformed. "
                                    "Output must have a Value")
            if self._included(evaluator, output):
                value = evaluator.value(output["Value"])
                if isinstance(value, list | dict):
                    raise TemplateError(f"Template error: Output {key} must be a string")
                outputs[key] = template_scalar(value)
                if "Export" in output:
                    exports[self._export_name(evaluator, key, output["Export"])] = outputs[key]
        return StackInstance(resources=created, outputs=outputs, exports=exports)

    def _export_name(self, evaluator: Evaluator, key: str, export: Any) -> str:
        name = evaluator.value(export.get("Name")) if isinstance(export, dict) else None
        if not isinstance(name, str) or not name:
            raise TemplateError(f"Template format error: Output {key} is malformed. "
                                "The Export must have a Name")
        return name

    def changes(self, *, old: StackInstance, context: StackContext) -> list[ResourceChange]:
        """What updating ``old`` with ``context.parameters`` would do, like a change set.

        Values that depend on a resource being replaced are unknown until it is; like
        CloudFormation, such a change replaces the dependant only "Conditional"-ly.
        """
        before = {resource.logical_id: resource for resource in old.resources}
        self._check_types(before)
        evaluator = self._evaluator(context)
        result: list[ResourceChange] = []
        replaced: set[str] = set()
        for logical_id in self._order:
            if not self._included(evaluator, self.resources[logical_id]):
                continue
            type_ = self.resources[logical_id]["Type"]
            properties = self._properties(evaluator, logical_id)
            previous = before.get(logical_id)
            if previous is None:
                result.append(ResourceChange(logical_id=logical_id, resource_type=type_,
                                             physical_id="", action="Add", replacement="",
                                             properties=[]))
                evaluator.resources[logical_id] = _placeholder(logical_id, type_, properties)
                continue
            changed = _changed(previous.properties, properties)
            replacement = _replaces(type_, previous.properties, properties)
            depends = references(self.resources[logical_id].get("Properties", {})) & replaced
            if depends and replacement == "False":
                spec = resource_type(type_)
                replacement = "Conditional" if spec.replacement else "False"
                changed = sorted(set(changed) | _properties_using(
                    self.resources[logical_id].get("Properties", {}), depends))
            if changed:
                result.append(ResourceChange(
                    logical_id=logical_id, resource_type=type_,
                    physical_id=previous.physical_id, action="Modify", replacement=replacement,
                    properties=changed))
            if replacement == "True":
                replaced.add(logical_id)
            evaluator.resources[logical_id] = previous
        kept = {change.logical_id for change in result} | set(evaluator.resources)
        for resource in old.resources:
            if resource.logical_id not in kept:
                result.append(ResourceChange(
                    logical_id=resource.logical_id, resource_type=resource.type,
                    physical_id=resource.physical_id, action="Remove", replacement="",
                    properties=[]))
        return result


def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return sorted(name for name in set(old) | set(new) if old.get(name) != new.get(name))


def _replaces(type_: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """"True" when a replacing property changed, "Conditional" for a may-replace one."""
    spec = resource_type(type_)
    changed = set(_changed(old, new))
    if changed & spec.replacement:
        return "True"
    if changed & spec.conditional:
        return "Conditional"
    return "False"


def _properties_using(properties: Mapping[str, Any], names: set[str]) -> set[str]:
    return {key for key, value in properties.items() if references(value) & names}


def _placeholder(logical_id: str, type_: str, properties: dict[str, Any]) -> PhysicalResource:
    """A not-yet-created resource for previews: its values are unknown until creation."""
    unknown = "{{unknown}}"
    attributes = {name: unknown for name in resource_type(type_).attributes}
    return PhysicalResource(logical_id=logical_id, type=type_, physical_id=unknown, name="",
                            arn="", attributes=attributes, properties=properties)
