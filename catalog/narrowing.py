"""Parameter narrowing: callables an app above catalog registers to make a request form stricter
than the curation (guardrails does, from its ``AppConfig.ready()``).

Catalog never imports them. A narrowing gets the effective parameters of a product's version
for a project and returns them with its own limits applied (fewer allowed values, tighter
bounds, no default where one must be chosen); it never loosens what the curation set.
"""

from __future__ import annotations

from typing import Protocol

from catalog.models import Product
from catalog.parameters import EffectiveParameter
from portal.models import Project
from portal.registry import Registry


class ParameterNarrowing(Protocol):
    def __call__(self, parameters: list[EffectiveParameter], product: Product,
                 project: Project, /) -> list[EffectiveParameter]: ...


_narrowings: Registry[ParameterNarrowing] = Registry("parameter narrowings")


def parameter_narrowing_register(narrowing: ParameterNarrowing) -> None:
    """Register a narrowing; registering one twice keeps one."""
    _narrowings.register(narrowing)


def parameters_narrowed(parameters: list[EffectiveParameter], *, product: Product,
                        project: Project | None) -> list[EffectiveParameter]:
    """``parameters`` with every registered narrowing applied, for ``project`` (None: as is)."""
    if project is None:
        return parameters
    for narrowing in _narrowings:
        parameters = narrowing(parameters, product, project)
    return parameters
