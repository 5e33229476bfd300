"""/metrics: protected, and its numbers move with real actions of the portal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from approvals.models import Request
from config.celery import app
from fakeaws import faults
from portal.aws import aws_client
from portal.models import Project, User
from portal.notifications import email_notify
from provisioning.models import Environment
from provisioning.services import environment_provision
from provisioning.tasks import environments_sweep_task
from tests.provisioning.conftest import approved_request, make_notebook_product
from tests.saml_idp import SamlBrowser

TOKEN = "metrics-test-token-0123456789"


@pytest.fixture
def scrape(settings: Any, client: Client) -> Callable[[], dict[tuple[str, tuple[Any, ...]], float]]:
    settings.PORTAL_METRICS_TOKEN = TOKEN

    def read() -> dict[tuple[str, tuple[Any, ...]], float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=")
        samples: dict[tuple[str, tuple[Any, ...]], float] = {}
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    return read


def value(samples: dict[tuple[str, tuple[Any, ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db
def test_metrics_are_a_404_while_no_token_is_configured(client: Client, settings: Any) -> None:
    settings.PORTAL_METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN])
def test_metrics_refuse_a_missing_or_wrong_token(client: Client, settings: Any,
                                                 header: str | None) -> None:
    settings.PORTAL_METRICS_TOKEN = TOKEN
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert TOKEN not in response.content.decode()


@pytest.mark.django_db
def test_metrics_refuse_a_state_change(client: Client, settings: Any) -> None:
    settings.PORTAL_METRICS_TOKEN = TOKEN
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


@pytest.mark.django_db
def test_requests_environments_and_their_times_follow_the_database(
        scrape: Callable[[], Any], scientist: User, project: Project) -> None:
    before = scrape()
    product, version = make_notebook_product(project)
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version)
    Request.objects.filter(pk=request.pk).update(decided_at=request.created_at + timedelta(
        minutes=30))
    with transaction.atomic():
        environment = environment_provision(request=request)
    assert environment is not None
    queued = scrape()

    assert value(queued, "portal_requests", status="approved") == value(
        before, "portal_requests", status="approved") + 1
    assert value(queued, "portal_requests", status="pending") == value(
        before, "portal_requests", status="pending")
    assert value(queued, "portal_environments", status="queued") == value(
        before, "portal_environments", status="queued") + 1
    # 30 minutes: above the 15-minute bucket, within the hour one.
    assert value(queued, "portal_request_decision_seconds_bucket", le="900.0") == value(
        before, "portal_request_decision_seconds_bucket", le="900.0")
    assert value(queued, "portal_request_decision_seconds_bucket", le="3600.0") == value(
        before, "portal_request_decision_seconds_bucket", le="3600.0") + 1
    assert value(queued, "portal_request_decision_seconds_sum") == pytest.approx(value(
        before, "portal_request_decision_seconds_sum") + 1800)

    Environment.objects.filter(pk=environment.pk).update(
        status=Environment.Status.AVAILABLE,
        available_at=environment.created_at + timedelta(minutes=4))
    available = scrape()
    assert value(available, "portal_environments", status="queued") == value(
        before, "portal_environments", status="queued")
    assert value(available, "portal_environments", status="available") == value(
        before, "portal_environments", status="available") + 1
    assert value(available, "portal_provisioning_duration_seconds_bucket", le="300.0") == value(
        before, "portal_provisioning_duration_seconds_bucket", le="300.0") + 1
    assert value(available, "portal_provisioning_duration_seconds_count") == value(
        before, "portal_provisioning_duration_seconds_count") + 1


@pytest.mark.django_db
def test_aws_calls_and_throttles_are_counted_by_operation(
        scrape: Callable[[], Any], project: Project) -> None:
    labels = {"service": "service-catalog", "operation": "SearchProductsAsAdmin"}
    before = scrape()
    faults.inject(service="servicecatalog", operation="SearchProductsAsAdmin",
                  code="ThrottlingException", times=1)

    aws_client("servicecatalog", project=project).search_products_as_admin()
    after = scrape()

    # The throttled attempt and botocore's retry that succeeded.
    assert value(after, "portal_aws_calls_total", **labels) == value(
        before, "portal_aws_calls_total", **labels) + 2
    assert value(after, "portal_aws_throttles_total", **labels) == value(
        before, "portal_aws_throttles_total", **labels) + 1


@pytest.mark.django_db
def test_a_failed_email_is_counted_by_kind(
        scrape: Callable[[], Any], scientist: User, settings: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused
    settings.EMAIL_TIMEOUT = 2
    before = scrape()

    with django_capture_on_commit_callbacks(execute=True):
        email_notify(recipients=[scientist], subject="s", lines=["l"], link_label="Open",
                     link="http://x", what="test-kind")

    assert value(scrape(), "portal_email_failures_total", kind="test-kind") == value(
        before, "portal_email_failures_total", kind="test-kind") + 1


@pytest.mark.django_db
def test_a_failed_sign_in_is_counted(scrape: Callable[[], Any], saml: SamlBrowser) -> None:
    before = scrape()

    saml.sign_in("dana.scientist", sign_assertion=False)

    assert value(scrape(), "portal_sign_in_failures_total", reason="sso") == value(
        before, "portal_sign_in_failures_total", reason="sso") + 1


@pytest.mark.django_db
def test_sweeper_actions_are_counted(scrape: Callable[[], Any], scientist: User,
                                     project: Project) -> None:
    product, version = make_notebook_product(project)
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version)
    Request.objects.filter(pk=request.pk).update(handed_off_at=request.created_at)
    labels = {"sweep": "provisioning", "action": "created"}
    before = scrape()

    environments_sweep_task()  # the hand-off never became an environment: the sweep makes it

    assert value(scrape(), "portal_sweeper_actions_total", **labels) == value(
        before, "portal_sweeper_actions_total", **labels) + 1


@pytest.mark.django_db
def test_queue_depth_is_read_from_the_broker(scrape: Callable[[], Any]) -> None:
    queue = app.conf.task_default_queue
    before = scrape()
    assert value(before, "portal_broker_up") == 1

    app.send_task("portal.tasks.worker_heartbeat")

    assert value(scrape(), "portal_queue_depth", queue=queue) == value(
        before, "portal_queue_depth", queue=queue) + 1


@pytest.mark.django_db
def test_a_broker_that_does_not_answer_is_reported_down_not_a_failed_scrape(
        scrape: Callable[[], Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    # Celery reads with broker_read_url, which a configured broker has already filled in.
    monkeypatch.setattr(app.conf, "broker_read_url", "redis://127.0.0.1:9/0")
    monkeypatch.setattr(app.conf, "broker_transport", None)
    samples = scrape()
    assert value(samples, "portal_broker_up") == 0
    assert not any(name == "portal_queue_depth" for name, _ in samples)
