"""Request time: exactly at a limit is allowed, one over is refused with a clear message and
nothing is created; what counts against each limit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from approvals.errors import RequestInvalid
from approvals.models import Request
from approvals.services import request_create
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from provisioning.models import Environment
from tests.approvals.conftest import make_environment, request_notebook
from tests.quotas.conftest import cap, grant

pytestmark = pytest.mark.django_db


def _refused(requester: User, project: Project, product: Product, instance_type: str,
             **extra: Any) -> list[str]:
    before = (Request.objects.count(), AuditEvent.objects.count())
    with pytest.raises(RequestInvalid) as caught:
        request_notebook(requester, project, product, instance_type, **extra)
    assert (Request.objects.count(), AuditEvent.objects.count()) == before  # nothing written
    assert set(caught.value.errors) == {"limits"}
    return list(caught.value.errors["limits"])


def _running(owner: User, project: Project, product: Product, instance_type: str,
             status: str = "available") -> Environment:
    environment = make_environment(owner, project, product, status=status)
    environment.parameters = {"InstanceType": instance_type}
    environment.save(update_fields=["parameters"])
    return environment


def test_running_environments_at_the_limit_pass_and_one_over_is_refused(
        scientist: User, project: Project, notebook: Product) -> None:
    grant("running_environments", 2)
    _running(scientist, project, notebook, "ml.t3.medium")
    request_notebook(scientist, project, notebook)  # the second: exactly at the limit
    [message] = _refused(scientist, project, notebook, "ml.t3.medium")
    assert message.startswith("Your quota of running environments is 2 (granted to: everyone);"
                              " 2 already counts against it (your environments that are running")
    assert "your requests not provisioned yet" in message
    assert "this ml.t3.medium would add 1" in message
    assert "ask a platform admin for a larger quota" in message


def test_stopped_failed_and_terminated_environments_do_not_count(
        scientist: User, project: Project, notebook: Product) -> None:
    grant("running_environments", 1)
    for status in ("stopped", "failed", "terminated", "terminating"):
        _running(scientist, project, notebook, "ml.t3.medium", status=status)
    request_notebook(scientist, project, notebook)
    _refused(scientist, project, notebook, "ml.t3.medium")


def test_a_rejected_or_provisioned_request_stops_counting(
        scientist: User, project: Project, notebook: Product) -> None:
    grant("running_environments", 1)
    first = request_notebook(scientist, project, notebook)
    _refused(scientist, project, notebook, "ml.t3.medium")
    Request.objects.filter(pk=first.pk).update(status=Request.Status.REJECTED)
    request_notebook(scientist, project, notebook)


def test_gpu_instances_count_only_gpu_types(scientist: User, project: Project,
                                            notebook: Product) -> None:
    grant("gpu_instances", 1)
    _running(scientist, project, notebook, "ml.m5.xlarge")
    request_notebook(scientist, project, notebook, "ml.t3.medium")
    request_notebook(scientist, project, notebook, "ml.g4dn.xlarge")  # 1 of 1
    [message] = _refused(scientist, project, notebook, "ml.p3.2xlarge")
    assert "Your quota of gpu instances is 1" in message
    assert "1 already counts" in message and "this ml.p3.2xlarge would add 1" in message
    request_notebook(scientist, project, notebook, "ml.m5.xlarge")  # CPU still passes


def test_daily_credits_count_hourly_price_times_24(scientist: User, project: Project,
                                                   notebook: Product) -> None:
    # ml.g4dn.xlarge 0.7364 × 24 = 17.67; ml.m5.xlarge 0.23 × 24 = 5.52; total 23.19.
    grant("daily_credits", "23.19")
    _running(scientist, project, notebook, "ml.g4dn.xlarge")
    request_notebook(scientist, project, notebook, "ml.m5.xlarge")  # 23.19: exactly at it
    [message] = _refused(scientist, project, notebook, "ml.t3.medium")  # + 1.20
    assert "Your quota of daily credits (usd/day) is 23.19" in message
    assert "23.19 already counts" in message
    assert "this ml.t3.medium would add 1.20 (its price × 24 h in eu-west-1)" in message


def test_an_instance_type_without_a_price_is_refused_where_credits_are_limited(
        scientist: User, project: Project, notebook: Product) -> None:
    from catalog.models import InstancePrice

    InstancePrice.objects.filter(instance_type="ml.m5.4xlarge").delete()
    request_notebook(scientist, project, notebook, "ml.m5.4xlarge")  # no credit limit: fine
    grant("daily_credits", 1000)
    [message] = _refused(scientist, project, notebook, "ml.m5.4xlarge")
    assert message.startswith("ml.m5.4xlarge has no price in the portal's price table for "
                              "eu-west-1, so its daily credits cannot be counted")


def test_allowances_of_ones_groups_add_up_and_others_get_none(
        scientist: User, colleague: User, project: Project, notebook: Product) -> None:
    grant("gpu_instances", 1, group="ml-gpu-users", members=[scientist])
    grant("gpu_instances", 1, group="ml-researchers", members=[scientist])
    request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    request_notebook(scientist, project, notebook, "ml.g4dn.xlarge")
    [message] = _refused(scientist, project, notebook, "ml.p3.2xlarge")
    assert "is 2 (granted to: ml-gpu-users, ml-researchers)" in message
    # The colleague is in neither group: once GPUs are granted, theirs is 0 ...
    [message] = _refused(colleague, project, notebook, "ml.g4dn.xlarge")
    assert "is 0 (none of your groups is granted any)" in message
    # ... while a measure nobody is granted is not limited.
    request_notebook(colleague, project, notebook, "ml.t3.medium")


def test_a_project_cap_counts_every_members_use(
        scientist: User, colleague: User, project: Project, notebook: Product) -> None:
    cap(project, "running_environments", 2)
    _running(colleague, project, notebook, "ml.t3.medium")
    request_notebook(scientist, project, notebook)
    [message] = _refused(scientist, project, notebook, "ml.t3.medium")
    assert message.startswith("The quota of project fraud of running environments is 2; 2 "
                              "already counts against it (the project's running environments")


def test_a_change_counts_only_what_it_adds(scientist: User, project: Project,
                                           notebook: Product) -> None:
    grant("gpu_instances", 0)
    grant("running_environments", 1)
    running = _running(scientist, project, notebook, "ml.t3.medium")
    running.parameters = {"NotebookInstanceName": "dana-nb", "InstanceType": "ml.t3.medium"}
    running.notebook_instance_name = "dana-nb"
    running.save()

    def change(instance_type: str) -> Request:
        return request_create(
            requester=scientist, project_slug=project.slug, product_id=notebook.pk,
            parameters={"NotebookInstanceName": "dana-nb", "InstanceType": instance_type},
            tag_choices={"data-classification": "internal"}, justification="Bigger",
            action=Request.Action.UPDATE, environment_ref=str(running.pk))

    change("ml.m5.xlarge")  # 1 running of 1: the change replaces it, adds no environment
    with pytest.raises(RequestInvalid) as caught:
        change("ml.p3.2xlarge")
    assert "Your quota of gpu instances is 0" in caught.value.errors["limits"][0]
    running.status = "stopped"  # a stopped one is checked when it starts
    running.save(update_fields=["status"])
    change("ml.p3.2xlarge")


def test_the_form_shows_the_refusal_and_keeps_nothing(
        client: Client, scientist: User, project: Project, notebook: Product) -> None:
    grant("gpu_instances", 0)
    client.force_login(scientist)
    response = client.post(f"/requests/new?product={notebook.pk}", {
        "req-project": project.slug, "req-justification": "GPU training",
        "req-tag:data-classification": "internal", "NotebookInstanceName": "dana-gpu",
        "InstanceType": "ml.p3.2xlarge", "VolumeSizeInGB": "20", "idempotency_key": "k1"})
    assert response.status_code == 400
    assert "Your quota of gpu instances is 0" in response.content.decode()
    assert not Request.objects.exists()


def test_the_api_answers_400_with_the_limits(client: Client, scientist: User, project: Project,
                                             notebook: Product) -> None:
    grant("running_environments", 0)
    client.force_login(scientist)
    response = client.post("/api/v1/requests", {
        "project": project.slug, "product": notebook.pk, "justification": "x",
        "parameters": {"NotebookInstanceName": "dana-x", "InstanceType": "ml.t3.medium"},
        "tag_choices": {"data-classification": "internal"}}, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "Your quota of running environments is 0" in response.json()["errors"]["limits"][0]
    assert not Request.objects.exists()


def test_a_change_that_asks_for_no_more_passes_a_quota_lowered_meanwhile(
        scientist: User, project: Project, notebook: Product) -> None:
    running = _running(scientist, project, notebook, "ml.p3.2xlarge")
    running.parameters = {"NotebookInstanceName": "dana-gpu", "InstanceType": "ml.p3.2xlarge"}
    running.notebook_instance_name = "dana-gpu"
    running.save()
    grant("gpu_instances", 0)  # lowered after the GPU notebook was provisioned
    request_create(
        requester=scientist, project_slug=project.slug, product_id=notebook.pk,
        parameters={"NotebookInstanceName": "dana-gpu", "InstanceType": "ml.g4dn.xlarge"},
        tag_choices={"data-classification": "internal"}, justification="Cheaper GPU",
        action=Request.Action.UPDATE, environment_ref=str(running.pk))
    assert Request.objects.filter(action="update").count() == 1


def test_a_change_to_an_unpriced_type_is_refused_where_credits_are_limited(
        scientist: User, project: Project, notebook: Product) -> None:
    from catalog.models import InstancePrice

    running = _running(scientist, project, notebook, "ml.m5.xlarge")
    running.parameters = {"NotebookInstanceName": "dana-nb", "InstanceType": "ml.m5.xlarge"}
    running.notebook_instance_name = "dana-nb"
    running.save()
    InstancePrice.objects.filter(instance_type="ml.t3.medium").delete()
    grant("daily_credits", 100)
    with pytest.raises(RequestInvalid) as caught:
        request_create(
            requester=scientist, project_slug=project.slug, product_id=notebook.pk,
            parameters={"NotebookInstanceName": "dana-nb", "InstanceType": "ml.t3.medium"},
            tag_choices={"data-classification": "internal"}, justification="Smaller",
            action=Request.Action.UPDATE, environment_ref=str(running.pk))
    assert caught.value.errors["limits"][0].startswith("ml.t3.medium has no price")
