"""A CloudFormation template engine for the fake AWS (pure Python, no Django).

It parses templates with cfn-lint's decoder, validates parameter values as CloudFormation does,
and instantiates resources with CloudFormation's naming, Ref/Fn::GetAtt semantics and replacement
rules, so the fake Service Catalog answers with what real stacks would produce.
"""

from .errors import ParameterError, TemplateError
from .parameters import ParameterDecl, provisioning_parameter
from .resources import PhysicalResource, generated_name
from .template import ResourceChange, StackContext, StackInstance, Template, random_suffix

__all__ = [
    "ParameterDecl",
    "ParameterError",
    "PhysicalResource",
    "ResourceChange",
    "StackContext",
    "StackInstance",
    "Template",
    "TemplateError",
    "generated_name",
    "provisioning_parameter",
    "random_suffix",
]
