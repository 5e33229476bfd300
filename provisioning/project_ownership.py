"""A SageMaker project is only ever this environment's: adopted, changed or deleted only when
its ``portal-environment`` tag names the environment.

CreateProject has no idempotency token, so a retried provision step first asks DescribeProject
whether an earlier attempt made the project. A project of the same name that is anyone else's (no
tag, another environment's, unreadable tags) is refused with a clear message, never adopted.
Facts relied on: DescribeProject returns the ProjectArn; ListTags on that ARN returns the tags
given to CreateProject (SageMaker API reference).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from provisioning.backends import BackendError, NotFound, ProvisionOrder
from provisioning.models import Environment

PROJECT_NAME_TAKEN = ("The SageMaker project name {name} is already taken in the project's AWS "
                      "account by a project that is not this environment's. Nothing was created "
                      "or changed; request a new environment to get another name.")


class ProjectNameTaken(BackendError):
    """A SageMaker project of the environment's name exists and is not provably its own."""


def sagemaker_project_is_ours(backend: Any, project: Any, environment: Environment) -> bool:
    """Whether a SageMaker project is this environment's: its ``portal-environment`` tag (read
    with ListTags on its ARN) names the environment. Anything else (another environment, no tag,
    tags that cannot be read) is not ours: the portal never adopts, changes or deletes it."""
    if not getattr(project, "project_arn", ""):
        return False
    key = settings.PORTAL_TAG_KEYS["portal-environment"]
    try:
        tags = backend.resource_tags(arn=project.project_arn)
    except BackendError as exc:
        if exc.transient:
            raise
        return False
    return bool(tags.get(key) == str(environment.pk))


def _sagemaker_project_ours_or_refuse(backend: Any, project: Any, environment: Environment,
                                      name: str) -> Any:
    if sagemaker_project_is_ours(backend, project, environment):
        return project
    raise ProjectNameTaken(operation="CreateProject", code="ProjectNameTaken",
                           message=PROJECT_NAME_TAKEN.format(name=name))


def sagemaker_project_create_once(backend: Any, *, environment: Environment, project_name: str,
                                  description: str, order: ProvisionOrder) -> Any:
    """CreateProject has no idempotency token: an earlier attempt's project is adopted, but only
    when its ``portal-environment`` tag proves it is this environment's; a project of the same
    name that is anyone else's is refused, never adopted."""
    name = project_name
    try:
        existing = backend.describe_sagemaker_project(project_name=name)
    except NotFound:
        pass
    else:
        return _sagemaker_project_ours_or_refuse(backend, existing, environment, name)
    try:
        return backend.create_sagemaker_project(project_name=name,
                                                description=description, order=order)
    except BackendError as exc:
        if exc.transient:
            raise
        try:  # a concurrent attempt created it between our describe and create
            existing = backend.describe_sagemaker_project(project_name=name)
        except NotFound:
            raise exc from None
        return _sagemaker_project_ours_or_refuse(backend, existing, environment, name)
