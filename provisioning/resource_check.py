"""The check before ProvisionProduct: the AWS-typed values of a request still name resources of
the project's account.

The request was checked against the account's listing when it was made
(``catalog.resource_choices``); approvals can take days, and a subnet or security group deleted
meanwhile would make CloudFormation fail the stack ("Parameter validation failed: parameter value
… for parameter name … does not exist") after a provisioned product was created. Checked here,
against a listing at most ``PORTAL_RESOURCE_CHOICES_CACHE_SECONDS`` old, the portal refuses it
first, with a message the requester can act on. A listing that fails refuses nothing:
CloudFormation still validates.
"""

from __future__ import annotations

from collections.abc import Mapping

from catalog.parameters import split_items
from catalog.resource_choices import parameters_for_project
from provisioning.models import Environment


def parameters_missing_in_account(*, environment: Environment, parameters: Mapping[str, str]
                                  ) -> list[str]:
    """One sentence per AWS-typed value that names no resource of the project's account."""
    effective = parameters_for_project(version=environment.version, project=environment.project)
    problems: list[str] = []
    for parameter in effective:
        value = parameters.get(parameter.key, "")
        if not (parameter.resource_type and parameter.choices and value):
            continue
        items = split_items(value) if parameter.is_list else [value]
        missing = [i for i in items if i and i not in parameter.choices]
        if missing:
            problems.append(f"{parameter.label}: {', '.join(missing)} no longer "
                            f"{'exists' if len(missing) == 1 else 'exist'} in the project's AWS "
                            "account.")
    return problems
