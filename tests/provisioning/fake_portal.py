"""The portal on the fake AWS: its real boto3 code (``portal.aws`` clients with the fake's hook),
a catalog synced from the fake with ``catalog.sync`` and ``AwsCatalogSource``, and a way to run
an approved request through the provision task and the follow-up checks in this process.

The fake's catalog is ``fake_catalog/catalog.yaml``: one product per shape fixture of
tests/fixtures/cfn and per template of the demo catalog, named after the template file, plus
``local/notebooks-two.yaml`` (fake_catalog/templates: two notebooks, no outputs).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from approvals.models import Request
from catalog.models import Product, ProductVersion
from catalog.sync import catalog_sync, sync_run_start
from fakeaws import clock
from fakeaws.baseline import Baseline, baseline_for
from fakeaws.hook import FAKE_CREDENTIALS
from portal.aws import credential_cache
from portal.models import Project, User
from provisioning.follow import environment_follow_run
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run
from provisioning.services import environment_provision
from tests.rows_snapshot import RowsSnapshot

CATALOG = Path(__file__).resolve().parent / "fake_catalog" / "catalog.yaml"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cfn"
DEMO_TEMPLATES = Path(__file__).resolve().parents[2] / "fakeaws" / "catalog" / "templates"
SAGEMAKER_FILLS = ("SageMakerProjectName", "SageMakerProjectId")
# The synced test catalog of this process, put back in each later test (tests/rows_snapshot.py).
SHAPES_CATALOG = RowsSnapshot()


def shape_names() -> list[str]:
    """Every template the fake's test catalog offers, as its product name."""
    return ([f"fixtures/{p.name}" for p in sorted(FIXTURES.glob("*.yaml"))]
            + [f"demo/{p.name}" for p in sorted(DEMO_TEMPLATES.glob("*.yaml"))])


def kind_of(name: str) -> str:
    """The kind an admin would give the product of this template (its file name says it)."""
    stem = name.rsplit("/", 1)[-1]
    if stem.startswith("notebook"):
        return Product.Kind.NOTEBOOK_INSTANCE
    if stem.startswith("studio"):
        return Product.Kind.STUDIO_USER_PROFILE
    return Product.Kind.SAGEMAKER_PROJECT


@pytest.fixture
def fake_aws(settings: Any, project: Project) -> Iterator[Baseline]:
    """The portal configured for the fake AWS, the project's role the fake's baseline role."""
    settings.PORTAL_AWS_MODE = "aws"
    settings.PORTAL_AWS_CLIENT_HOOK = "fakeaws.hook.attach"
    settings.PORTAL_AWS_STATIC_CREDENTIALS = (FAKE_CREDENTIALS["aws_access_key_id"],
                                              FAKE_CREDENTIALS["aws_secret_access_key"])
    settings.FAKEAWS_OPERATION_SECONDS = 0
    settings.FAKEAWS_CONSISTENCY_SECONDS = 0
    settings.FAKEAWS_PORTAL_ACCOUNT = "999999999999"
    settings.FAKEAWS_BASE_URL = "http://testserver"
    settings.FAKEAWS_OWNER_CONDITION = {}
    settings.FAKEAWS_CATALOG_FILE = str(CATALOG)
    clock.reset()
    credential_cache.clear()
    base = baseline_for(account=project.aws_account_id, region=project.aws_region)
    project.aws_role_arn = base.project_role_arn
    project.aws_external_id = base.project_role_external_id
    project.save()
    yield base
    clock.reset()
    credential_cache.clear()


@pytest.fixture
def shapes_catalog(fake_aws: Baseline) -> dict[str, Product]:
    """The fake's test catalog synced into the portal, each product given its kind and
    published; the output mapping stays the sync's default (no admin mapping). Set-up, not
    what these tests check: the sync runs for real in the first test of a process that starts
    from a given state, later ones get its rows put back (tests/rows_snapshot.py)."""
    products: dict[str, Product] = SHAPES_CATALOG.apply(
        "shapes_catalog", shapes_catalog_build,
        lambda: {product.name: product for product in Product.objects.all()})
    return products


def shapes_catalog_build() -> None:
    run = catalog_sync(run=sync_run_start(trigger="command"))
    assert run.status == "succeeded", run.errors
    for product in Product.objects.all():
        product.kind = kind_of(product.name)
        product.published = True
        product.save()


def request_values(version: ProductVersion, base: Baseline) -> dict[str, str]:
    """What a requester submits: each parameter's default, or a valid value of the baseline;
    name parameters the portal fills itself are left empty, SageMaker's own are not shown."""
    known = {
        "ExecutionRoleArn": base.notebook_execution_role_arn, "NotebookName": "fx-notebook",
        "Team": "risk", "UseCase": "scoring", "VpcId": base.vpc_id,
        "SubnetId": base.subnets[0]["SubnetId"],
        "SecurityGroupIds": base.security_groups[0]["GroupId"],
        "StudioDomainId": base.domain_id, "DomainId": base.domain_id,
        "KmsKeyId": base.kms_key_id, "NotebookInstanceName": "", "UserProfileName": "",
    }
    values: dict[str, str] = {}
    for spec in version.parameters.filter(retired_at__isnull=True):
        if spec.key in SAGEMAKER_FILLS:
            continue
        values[spec.key] = known[spec.key] if spec.key in known else (spec.default or "")
    return values


def approved(*, requester: User, project: Project, product: Product,
             parameters: dict[str, str]) -> Request:
    """An approved create request, as the approvals workflow leaves it (test data)."""
    version = product.versions.get()
    return Request.objects.create(
        requester=requester, project=project, product=product, version=version,
        action=Request.Action.CREATE, parameters=parameters, tag_choices={},
        justification="Shapes of real products", status=Request.Status.APPROVED,
        decided_at=timezone.now())


def provision_and_settle(request: Request, *, max_checks: int = 10) -> Environment:
    """The hand-off, the provision task's work and the follow-up checks, in this process."""
    environment = environment_provision(request=request)
    assert environment is not None
    environment_provision_run(environment_id=environment.pk)
    for _ in range(max_checks):
        environment = Environment.objects.get(pk=environment.pk)
        if environment.status not in Environment.FOLLOWED:
            return environment
        environment_follow_run(environment_id=environment.pk, attempt=environment.follow_attempt)
    return Environment.objects.get(pk=environment.pk)
