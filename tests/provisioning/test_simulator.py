"""The local simulator: progress over time, failure on demand, notebook run state, launch page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from portal.models import Project
from provisioning.backends import Invalid, NotFound, ProvisionOrder, Tag
from provisioning.backends.simulator import LAUNCH_SALT, SimulatorBackend
from provisioning.models import SimulatedNotebook, SimulatedRecord

pytestmark = pytest.mark.django_db


def order(name: str = "dana-notebook-1", token: str = "tok-1", **parameters: str
          ) -> ProvisionOrder:
    return ProvisionOrder(product_id="prod-mldemonb0001", artifact_id="pa-mldemonb0001v2",
                          path_id="", name=name, parameters=parameters or {"InstanceType": "x"},
                          tags=[Tag("owner", "AROA:dana")], token=token)


def provisioned(backend: SimulatorBackend, **parameters: str) -> str:
    record = backend.provision_product(order=order(**parameters))
    return backend.describe_record(record_id=record.record_id).outputs["NotebookInstanceName"]


def test_a_provisioning_is_in_progress_for_the_configured_seconds(project: Project,
                                                                  settings: Any) -> None:
    settings.PORTAL_SIMULATOR_SECONDS = 8
    backend = SimulatorBackend(project=project)
    record = backend.provision_product(order=order())
    assert backend.describe_record(record_id=record.record_id).status == "IN_PROGRESS"
    SimulatedRecord.objects.update(started_at=timezone.now() - timedelta(seconds=9))
    done = backend.describe_record(record_id=record.record_id)
    assert done.status == "SUCCEEDED"
    assert done.outputs == {
        "NotebookInstanceName": "dana-notebook-1",
        "NotebookInstanceArn": "arn:aws:sagemaker:eu-west-1:111111111111:notebook-instance/"
                               "dana-notebook-1"}


def test_the_same_token_returns_the_same_record(project: Project) -> None:
    backend = SimulatorBackend(project=project)
    first = backend.provision_product(order=order())
    again = backend.provision_product(order=order())
    assert first.record_id == again.record_id and SimulatedRecord.objects.count() == 1


def test_another_token_with_a_name_in_use_is_refused(project: Project) -> None:
    backend = SimulatorBackend(project=project)
    backend.provision_product(order=order())
    with pytest.raises(Invalid):
        backend.provision_product(order=order(token="tok-2"))


@pytest.mark.parametrize("parameters", [{"VolumeSizeInGB": "13"},
                                        {"NotebookInstanceName": "simulate-failure-1"}])
def test_it_fails_when_told_to(project: Project, parameters: dict[str, str]) -> None:
    backend = SimulatorBackend(project=project)
    record = backend.provision_product(order=order(**parameters))
    failed = backend.describe_record(record_id=record.record_id)
    assert failed.status == "FAILED" and failed.errors[0].startswith("CREATE_FAILED")


def test_notebooks_stop_and_start_over_time(project: Project, settings: Any) -> None:
    backend = SimulatorBackend(project=project)
    name = provisioned(backend)
    settings.PORTAL_SIMULATOR_SECONDS = 5
    backend.notebook_stop(notebook_name=name)
    assert backend.notebook_status(notebook_name=name) == "Stopping"
    with pytest.raises(Invalid):
        backend.notebook_start(notebook_name=name)
    SimulatedNotebook.objects.update(status_changed_at=timezone.now() - timedelta(seconds=6))
    assert backend.notebook_status(notebook_name=name) == "Stopped"
    backend.notebook_start(notebook_name=name)
    assert backend.notebook_status(notebook_name=name) == "Pending"


def test_terminating_removes_the_product_and_its_notebook(project: Project) -> None:
    backend = SimulatorBackend(project=project)
    record = backend.provision_product(order=order())
    name = backend.describe_record(record_id=record.record_id).outputs["NotebookInstanceName"]
    ended = backend.terminate_provisioned_product(
        provisioned_product_id=record.provisioned_product_id, token="term-1")
    assert backend.describe_record(record_id=ended.record_id).status == "SUCCEEDED"
    assert backend.search_provisioned_products() == []
    with pytest.raises(NotFound):
        backend.notebook_status(notebook_name=name)


def test_the_presigned_url_opens_the_simulated_notebook(project: Project, client: Client) -> None:
    backend = SimulatorBackend(project=project)
    name = provisioned(backend)
    url = backend.notebook_presigned_url(notebook_name=name, session_seconds=3600, owner_id="o")
    parts = urlsplit(url)
    assert parts.path == f"/environments/simulator/notebooks/{name}/"
    response = client.get(parts.path, parse_qs(parts.query))
    assert response.status_code == 200
    assert f'data-simulated-app="{name}"' in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_the_simulated_notebook_refuses_a_missing_forged_or_expired_token(
        project: Project, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = SimulatorBackend(project=project)
    name = provisioned(backend)
    url = backend.notebook_presigned_url(notebook_name=name, session_seconds=3600, owner_id="o")
    path, token = urlsplit(url).path, parse_qs(urlsplit(url).query)["token"][0]
    assert client.get(path).status_code == 403
    assert client.get(path, {"token": token[:-2] + "xx"}).status_code == 403
    forged = signing.dumps({"kind": "notebook", "name": name, "ttl": 300}, key="not-our-key",
                           salt=LAUNCH_SALT)
    assert client.get(path, {"token": forged}).status_code == 403
    other = "/environments/simulator/notebooks/someone-elses/"
    assert client.get(other, {"token": token}).status_code == 403
    import time

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 301)  # five minutes have passed
    assert client.get(path, {"token": token}).status_code == 403


def test_the_studio_url_expires_after_expires_in_seconds(project: Project, client: Client,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    url = SimulatorBackend(project=project).studio_presigned_url(
        domain_id="d-1", user_profile_name="dana", expires_seconds=60, session_seconds=1800,
        owner_id="o")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert client.get(parts.path, query).status_code == 200
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 61)
    assert client.get(parts.path, query).status_code == 403
