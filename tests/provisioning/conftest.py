"""Fixtures for provisioning: the fake AWS (instant, with this folder's catalog), stubbed boto3
clients for exact request shapes, and catalog rows with the ids the fake's catalog serves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from catalog.models import LaunchPath, Product, ProductVersion, TagOption
from fakeaws import clock
from fakeaws.models import CallLog
from portal.aws import credential_cache
from portal.models import Project

# The fake AWS's catalog for these tests: products prod-nb0001, prod-nb0002 (notebooks),
# prod-studio01 (Studio user profile), prod-mlops01 and prod-mlops02 (SageMaker projects).
FAKE_CATALOG = Path(__file__).resolve().parent / "catalog" / "catalog.yaml"
DEFAULT_PRODUCT_IDS = {
    Product.Kind.NOTEBOOK_INSTANCE: "prod-nb0001",
    Product.Kind.STUDIO_USER_PROFILE: "prod-studio01",
    Product.Kind.SAGEMAKER_PROJECT: "prod-mlops01",
}


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[None]:
    """No profile, no credential chain: every call goes to the fake AWS (the settings' default
    client hook), which answers at once (a test about timing sets the seconds itself)."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings.FAKEAWS_OPERATION_SECONDS = 0
    settings.FAKEAWS_CONSISTENCY_SECONDS = 0
    settings.FAKEAWS_CATALOG_FILE = str(FAKE_CATALOG)
    settings.PORTAL_BASE_URL = "http://testserver"
    settings.FAKEAWS_BASE_URL = ""
    clock.reset()
    credential_cache.clear()  # assumed-role credentials are process-wide: no test sees another's
    yield
    clock.reset()


class AwsStubs:
    """boto3.client replaced: one real client per service, its Stubber activated.

    Every client the code under test builds (directly or through AssumeRole) is the stubbed one,
    so Stubber validates each call against the service model; ``created`` keeps the arguments
    each client was built with (to check assumed-role credentials).
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clients: dict[str, Any] = {}
        self.stubs: dict[str, Stubber] = {}
        self.created: list[tuple[str, dict[str, Any]]] = []
        real = boto3.client

        def client(service_name: str, **kwargs: Any) -> Any:
            self.created.append((service_name, kwargs))
            if service_name not in self.clients:
                made = real(service_name, config=kwargs.get("config"))
                stub = Stubber(made)
                stub.activate()
                self.clients[service_name] = made
                self.stubs[service_name] = stub
            return self.clients[service_name]

        monkeypatch.setattr(boto3, "client", client)

    def stub(self, service: str, region: str = "eu-west-1") -> Stubber:
        if service not in self.stubs:
            from botocore.config import Config

            boto3.client(service, config=Config(region_name=region))
            self.created.pop()
        return self.stubs[service]

    def assert_no_pending(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, settings: Any, request: pytest.FixtureRequest
        ) -> Iterator[AwsStubs]:
    """Stubbed clients for exact request shapes: no client hook (nothing reaches the fake), and
    the cast's project without a role (no AssumeRole to script) unless a test gives it one."""
    settings.PORTAL_AWS_CLIENT_HOOK = ""
    settings.PORTAL_AWS_STATIC_CREDENTIALS = None
    if "project" in request.fixturenames:
        project = request.getfixturevalue("project")
        project.aws_role_arn = project.aws_external_id = ""
        project.save(update_fields=["aws_role_arn", "aws_external_id"])
    stubs = AwsStubs(monkeypatch)
    yield stubs
    stubs.assert_no_pending()


def make_notebook_product(project: Project, *, kind: str = Product.Kind.NOTEBOOK_INSTANCE,
                          product_id: str = "") -> tuple[Product, ProductVersion]:
    """Catalog rows for a product of the fake's catalog (``FAKE_CATALOG``), as a sync makes them."""
    product_id = product_id or DEFAULT_PRODUCT_IDS[kind]
    product = Product.objects.create(
        aws_account_id=project.aws_account_id, aws_region=project.aws_region,
        product_id=product_id, name="SageMaker notebook instance", kind=kind, published=True,
        output_mapping={
            Product.Kind.NOTEBOOK_INSTANCE: {"notebook_instance_name": "NotebookInstanceName"},
            Product.Kind.STUDIO_USER_PROFILE: {"domain_id": "DomainId",
                                               "user_profile_name": "UserProfileName"},
            Product.Kind.SAGEMAKER_PROJECT: {"project_name": "SageMakerProjectName"},
        }.get(kind, {}),
    )
    version = ProductVersion.objects.create(product=product, artifact_id=f"pa-{product_id[5:]}v1",
                                            name="v1")
    product.default_version = version
    product.save(update_fields=["default_version"])
    LaunchPath.objects.create(product=product, path_id=f"lpv3-{product_id[5:]}", name="ML")
    TagOption.objects.create(aws_account_id=project.aws_account_id,
                             aws_region=project.aws_region, tag_option_id="tag-1",
                             key="data-classification", value="internal")
    return product, version


def approved_request(*, requester: Any, project: Project, product: Product,
                     version: ProductVersion, parameters: dict[str, str] | None = None,
                     tag_choices: dict[str, str] | None = None, action: str = "create",
                     environment_ref: str | None = None) -> Any:
    """An approved request, as the approvals workflow leaves it (written directly: test data)."""
    from django.utils import timezone

    from approvals.models import Request

    return Request.objects.create(
        requester=requester, project=project, product=product, version=version, action=action,
        environment_ref=environment_ref,
        parameters=parameters if parameters is not None else {
            "NotebookInstanceName": "", "InstanceType": "ml.t3.medium", "VolumeSizeInGB": "20",
            "RootAccess": "Disabled"},
        tag_choices=tag_choices if tag_choices is not None else {
            "data-classification": "internal"},
        justification="Fraud model experiments", status=Request.Status.APPROVED,
        decided_at=timezone.now(),
    )


@pytest.fixture
def notebook(project: Project) -> tuple[Product, ProductVersion]:
    return make_notebook_product(project)


@pytest.fixture
def queued(scientist: Any, project: Project, notebook: tuple[Product, ProductVersion],
           django_capture_on_commit_callbacks: Any) -> Any:
    """A queued notebook environment of the scientist (its provision task not run yet)."""
    from provisioning.services import environment_provision

    product, version = notebook
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version)
    with django_capture_on_commit_callbacks(execute=False):
        return environment_provision(request=request)


def run_until_settled(environment: Any, *, max_checks: int = 20) -> Any:
    """Run the provision task's work and then the follow-up checks in this process."""
    from provisioning.follow import environment_follow_run
    from provisioning.models import Environment
    from provisioning.provision_run import environment_provision_run

    environment_provision_run(environment_id=environment.pk)
    for _ in range(max_checks):
        environment = Environment.objects.get(pk=environment.pk)
        if environment.status not in Environment.FOLLOWED:
            return environment
        environment_follow_run(environment_id=environment.pk,
                               attempt=environment.follow_attempt)
    return Environment.objects.get(pk=environment.pk)


class SentTasks:
    """Tasks the code under test enqueued (instead of the broker): (task name, args, countdown)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], float | None]] = []

    def names(self) -> list[str]:
        return [name for name, _, _ in self.calls]


@pytest.fixture(autouse=True)
def sent_tasks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> SentTasks:
    """Keep unit tests off the broker; the worker tests (which use a real one) opt out."""
    sent = SentTasks()
    if "real_broker" in request.fixturenames:
        return sent
    from provisioning import tasks

    for task in (tasks.environment_provision_task, tasks.environment_follow_task,
                 tasks.change_plan_task, tasks.change_plan_delete_task):
        def apply_async(args: tuple[Any, ...] = (), kwargs: Any = None, *, _name: str = task.name,
                        countdown: float | None = None, **options: Any) -> None:
            sent.calls.append((_name, tuple(args), countdown))

        def delay(*args: Any, _name: str = task.name) -> None:
            sent.calls.append((_name, args, None))

        monkeypatch.setattr(task, "apply_async", apply_async)
        monkeypatch.setattr(task, "delay", delay)
    return sent


@pytest.fixture
def available(queued: Any) -> Any:
    """The scientist's notebook, provisioned on the fake AWS and available."""
    environment = run_until_settled(queued)
    assert environment.status == "available"
    return environment


class PresignSpy:
    """Counts the presign calls the fake AWS received (a refused launch generated nothing)."""

    @property
    def calls(self) -> int:
        return CallLog.objects.filter(operation__in=[
            "CreatePresignedNotebookInstanceUrl", "CreatePresignedDomainUrl"]).count()


@pytest.fixture
def presign() -> PresignSpy:
    return PresignSpy()


@pytest.fixture
def real_broker() -> None:
    """Marks a test that sends its tasks to the real broker (a real worker consumes them)."""


def console_client(service: str, project: Project, *, who: str = "someone.console") -> Any:
    """A boto3 client on the fake AWS in the project's account, as a person working in the AWS
    console (outside the portal) through the account's role."""
    from tests.fakeaws.conftest import client, session_credentials

    return client(service, region=project.aws_region, credentials=session_credentials(
        account=project.aws_account_id, session_name=who, source_identity=who))


def notebook_summary(name: str, status: str) -> dict[str, Any]:
    """A ListNotebookInstances NotebookInstanceSummary, for Stubber responses."""
    return {"NotebookInstanceName": name, "NotebookInstanceStatus": status,
            "NotebookInstanceArn": f"arn:aws:sagemaker:eu-west-1:111111111111:"
                                   f"notebook-instance/{name}"}
