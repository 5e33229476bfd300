"""Demo data for `make demo`: two projects and the dev IdP's people, created once.

The dev IdP's YAML file is the single list of demo people; their memberships come from each
user's ``projects`` mapping. Attributes are refreshed from the IdP at every sign-in, and roles are
granted only by SAML groups there, so the seed leaves roles empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from portal.models import Membership, Project, User
from portal.services import audit_record

DEMO_USERS_FILE = Path(settings.BASE_DIR) / "portal" / "devidp" / "demo_users.yaml"
SEED_SOURCE = {"source": "seed_demo"}
# The role the portal assumes in each demo project account, and the ExternalId its trust policy
# asks for: the same pair the fake AWS's account baseline defines (fakeaws/catalog/demo.yaml,
# ``project_role``), so the demo reaches its projects' accounts as it would in AWS.
DEMO_ROLE_NAME = "ml-portal-provisioning"
DEMO_EXTERNAL_ID = "ml-portal-demo-external-id"


@dataclass(frozen=True)
class DemoProject:
    slug: str
    name: str
    environment: str
    aws_account_id: str
    aws_region: str
    cost_center: str
    monthly_budget: Decimal
    description: str = ""
    # The demo journey's leaver (scripts/demo_journey.py): a deactivated person's environments
    # are stopped and handed to their manager (dana.scientist's are maria.manager's then).
    leaver_environments: str = Project.LeaverEnvironments.MANAGER

    @property
    def aws_role_arn(self) -> str:
        return f"arn:aws:iam::{self.aws_account_id}:role/{DEMO_ROLE_NAME}"


DEMO_PROJECTS = (
    DemoProject(
        slug="fraud-detection", name="Fraud detection", environment="dev",
        aws_account_id="111111111111", aws_region="eu-west-1", cost_center="CC-1001",
        monthly_budget=Decimal("3000"),
        description="Models that flag suspicious card and payment activity.",
    ),
    DemoProject(
        slug="credit-risk", name="Credit risk modelling", environment="uat",
        aws_account_id="222222222222", aws_region="eu-west-1", cost_center="CC-2002",
        monthly_budget=Decimal("5000"),
        description="Probability-of-default and loss-given-default models for lending.",
    ),
)


class DemoDataError(Exception):
    """The demo users file cannot be used as it is."""


def demo_users_load(*, path: Path = DEMO_USERS_FILE) -> list[dict[str, Any]]:
    """The users of the dev IdP's YAML file, checked for the keys the seed needs."""
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise DemoDataError(f"cannot read demo users from {path}: {exc}") from exc
    users = document.get("users") if isinstance(document, dict) else None
    if not isinstance(users, list):
        raise DemoDataError(f"{path} must have a 'users' list")
    for entry in users:
        if not isinstance(entry, dict) or not str(entry.get("uid", "")).strip():
            raise DemoDataError(f"{path}: every user needs a uid, got {entry!r}")
        if not isinstance(entry.get("projects", {}), dict):
            raise DemoDataError(f"{path}: projects of {entry['uid']} must be a mapping")
    return users


def _project_ensure(spec: DemoProject, report: list[str]) -> Project:
    project = Project.objects.filter(slug=spec.slug).first()
    if project is not None:
        return project
    project = Project(
        slug=spec.slug, name=spec.name, description=spec.description,
        environment=spec.environment, aws_account_id=spec.aws_account_id,
        aws_region=spec.aws_region, cost_center=spec.cost_center,
        monthly_budget=spec.monthly_budget, aws_role_arn=spec.aws_role_arn,
        aws_external_id=DEMO_EXTERNAL_ID, leaver_environments=spec.leaver_environments,
    )
    project.full_clean()
    project.save()
    audit_record(action="project.created", obj=project, project=project, data=SEED_SOURCE)
    report.append(f"created project {project.slug} ({project.name})")
    return project


def _user_ensure(entry: Mapping[str, Any], report: list[str]) -> User | None:
    """Create the person if unknown; an existing account is left exactly as it is."""
    username = str(entry["uid"]).strip()
    if User.objects.filter(username=username).exists():
        return None
    user = User(
        username=username,
        email=str(entry.get("mail", "")),
        first_name=str(entry.get("givenName", ""))[:150],
        last_name=str(entry.get("sn", ""))[:150],
        department=str(entry.get("department", ""))[:200],
        cost_center=str(entry.get("costCenter", ""))[:100],
        manager_ref=str(entry.get("manager", ""))[:254],
    )
    user.set_unusable_password()  # people sign in through SAML only
    user.save()
    # Their IdP groups, as the first sign-in would mirror them (and every sign-in refreshes
    # them): a group approval step (the platform team's "Platform review") then reaches its
    # people, inbox and e-mail, before they have ever signed in. Roles still come only from SAML.
    groups = [str(name)[:150] for name in entry.get("groups") or []]
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    audit_record(action="user.created", obj=user, data={**SEED_SOURCE, "groups": groups})
    report.append(f"created user {username}")
    return user


@transaction.atomic
def demo_data_seed(*, users: Sequence[Mapping[str, Any]]) -> list[str]:
    """Create the demo projects, people and memberships that are missing; say what was done.

    Running it again creates nothing: existing projects, people and memberships are not touched.
    """
    report: list[str] = []
    projects = {spec.slug: _project_ensure(spec, report) for spec in DEMO_PROJECTS}

    created_users = [u for u in (_user_ensure(entry, report) for entry in users) if u]
    for user in created_users:
        if user.manager_ref:
            user.manager = User.objects.filter(username=user.manager_ref).first()
            if user.manager is not None:
                user.save(update_fields=["manager"])

    for entry in users:
        username = str(entry["uid"]).strip()
        for slug, role in (entry.get("projects") or {}).items():
            project = projects.get(slug) or Project.objects.filter(slug=slug).first()
            if project is None:
                raise DemoDataError(f"{username} is given unknown project {slug!r}")
            if role not in Membership.ProjectRole.values:
                raise DemoDataError(
                    f"{username} has role {role!r} in {slug}; use "
                    + " or ".join(Membership.ProjectRole.values)
                )
            user = User.objects.get(username=username)
            membership, created = Membership.objects.get_or_create(
                user=user, project=project, defaults={"role": role}
            )
            if created:
                audit_record(
                    action="membership.created", obj=membership, project=project,
                    data={**SEED_SOURCE, "user": username, "role": role},
                )
                report.append(f"created membership {username} in {slug} ({role})")
    return report
