"""What approvals checks about the environment a day-2 request names, answered from ours.

Registered in ``ProvisioningConfig.ready()``: approvals never imports provisioning, so it asks
the resolver registered here when someone requests a change or a termination.
"""

from __future__ import annotations

import uuid

from django.db.models import Q

from approvals.services import EnvironmentFacts
from provisioning.models import Environment, environment_name


def environment_facts(environment_ref: str) -> EnvironmentFacts | None:
    """The environment an ``environment_ref`` (our uuid) names, or None when there is none."""
    try:
        pk = uuid.UUID(str(environment_ref))
    except ValueError:
        return None
    row = (Environment.objects.filter(pk=pk)
           .values("owner_id", "project_id", "product_id", "status", "parameters", "tags",
                   "notebook_instance_name", "user_profile_name", "domain_id",
                   "sagemaker_project_name", "provisioned_product_name",
                   "origin_request__name").first())
    if row is None:
        return None
    parameters = dict(row["parameters"] or {})
    # A name the portal filled in at provisioning (older environments kept it empty in their
    # parameters) is the resource's real name.
    names = {"NotebookInstanceName": row["notebook_instance_name"],
             "UserProfileName": row["user_profile_name"], "DomainId": row["domain_id"]}
    for key, name in names.items():
        if key in parameters and not parameters[key] and name:
            parameters[key] = name
    tags = {str(t.get("Key", "")): str(t.get("Value", "")) for t in row["tags"] or []
            if isinstance(t, dict)}
    return EnvironmentFacts(owner_id=row["owner_id"], project_id=row["project_id"],
                            product_id=row["product_id"],
                            terminated=row["status"] == Environment.Status.TERMINATED,
                            parameters=parameters, tags=tags,
                            name=environment_name(
                                chosen=row["origin_request__name"],
                                notebook=row["notebook_instance_name"],
                                profile=row["user_profile_name"],
                                sagemaker_project=row["sagemaker_project_name"],
                                provisioned=row["provisioned_product_name"]))


# Where an environment keeps the name it was given besides its parameters (older environments
# have an empty parameter and the name the portal filled in, in its own column).
NAME_COLUMNS = {"NotebookInstanceName": "notebook_instance_name",
                "UserProfileName": "user_profile_name"}


def environment_name_live(project_id: int, kind: str, key: str, name: str) -> bool:
    """Whether an environment of this project and product kind has the name and is not
    terminated (a failed one still counts: it may hold the resource until it is terminated)."""
    named = Q(**{f"parameters__{key}": name})
    if key in NAME_COLUMNS:
        named |= Q(**{NAME_COLUMNS[key]: name})
    return (Environment.objects.filter(named, project_id=project_id, product__kind=kind)
            .exclude(status=Environment.Status.TERMINATED).exists())
