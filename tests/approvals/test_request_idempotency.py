"""Issue 13, reliability 1: a double submit (form or API retry) makes one request, not two."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from approvals.models import ApprovalTask, Request
from approvals.services import create as create_module
from approvals.services import request_submit
from approvals.services import validate as validate_module
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import notebook_values, snapshot

pytestmark = pytest.mark.django_db


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _body(project: Project, product: Product, **extra: Any) -> dict[str, Any]:
    body = {"project": project.slug, "product": product.pk,
            "parameters": notebook_values("ml.p3.2xlarge", NotebookInstanceName="dana-gpu"),
            "tag_choices": {"data-classification": "internal"}, "justification": "GPU training"}
    return body | extra


def _events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# --- The request form ------------------------------------------------------------------------

def _rendered(client: Client, product: Product) -> tuple[str, str]:
    """GET the form as a browser does: its CSRF token and its idempotency key."""
    body = client.get(f"/requests/new?product={product.pk}").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    key = re.search(r'name="idempotency_key" value="([^"]*)"', body)
    assert token and key, "the form renders a CSRF token and an idempotency key"
    return token.group(1), key.group(1)


def _form(project: Project, token: str, key: str, **extra: str) -> dict[str, str]:
    return {"csrfmiddlewaretoken": token, "idempotency_key": key, "req-project": project.slug,
            "req-justification": "Train on GPUs", "req-tag:data-classification": "confidential",
            "NotebookInstanceName": "dana-gpu", "InstanceType": "ml.p3.2xlarge",
            "VolumeSizeInGB": "50", **extra}


def test_a_double_submitted_form_with_one_csrf_token_makes_one_request(
    demo_policies: None, scientist: User, project: Project, notebook: Product
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(scientist)
    token, key = _rendered(client, notebook)
    data = _form(project, token, key)
    first = client.post(f"/requests/new?product={notebook.pk}", data)
    second = client.post(f"/requests/new?product={notebook.pk}", data)
    request = Request.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/requests/{request.pk}/"
    assert request.idempotency_key == key
    assert ApprovalTask.objects.filter(request=request).count() == 1
    assert _events("request.created") == 1 and _events("request.submit_repeated") == 1
    page = client.get(second["Location"]).content.decode()
    assert "This form was already submitted: here is the request it made" in page


def test_each_render_of_the_form_has_its_own_key(scientist: User, notebook: Product) -> None:
    client = Client()
    client.force_login(scientist)
    keys = {_rendered(client, notebook)[1] for _ in range(3)}
    assert len(keys) == 3 and all(len(k) == 32 for k in keys)


def test_the_form_sent_again_with_other_values_is_refused_and_renders_a_fresh_key(
    demo_policies: None, scientist: User, project: Project, notebook: Product
) -> None:
    client = Client()
    client.force_login(scientist)
    _, key = _rendered(client, notebook)
    url = f"/requests/new?product={notebook.pk}"
    assert client.post(url, _form(project, "", key)).status_code == 302
    before = snapshot()
    response = client.post(url, _form(project, "", key, InstanceType="ml.t3.medium",
                                      NotebookInstanceName="dana-other"))
    body = response.content.decode()
    assert response.status_code == 422
    assert "This form was already submitted" in body and "nothing new was submitted" in body
    fresh = re.search(r'name="idempotency_key" value="([^"]*)"', body)
    assert fresh and fresh.group(1) != key
    assert snapshot() == before
    # Submitted with the fresh key, the corrected form makes the second request.
    assert client.post(url, _form(project, "", fresh.group(1), InstanceType="ml.t3.medium",
                                  NotebookInstanceName="dana-other")).status_code == 302
    assert Request.objects.count() == 2


def test_a_form_refused_for_its_input_keeps_its_key_and_then_submits_once(
    demo_policies: None, scientist: User, project: Project, notebook: Product
) -> None:
    client = Client()
    client.force_login(scientist)
    _, key = _rendered(client, notebook)
    url = f"/requests/new?product={notebook.pk}"
    refused = client.post(url, _form(project, "", key, InstanceType="ml.x99.huge"))
    assert refused.status_code == 400 and f'value="{key}"' in refused.content.decode()
    assert client.post(url, _form(project, "", key)).status_code == 302
    assert client.post(url, _form(project, "", key)).status_code == 302
    assert Request.objects.count() == 1


# --- The API -----------------------------------------------------------------------------------

def test_an_api_retry_with_the_same_key_answers_200_with_the_same_request(
    demo_policies: None, scientist: User, project: Project, notebook: Product
) -> None:
    client = _api(scientist)
    key = str(uuid.uuid4())
    first = client.post("/api/v1/requests", _body(project, notebook), format="json",
                        headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.json()
    sent_mail = len(mail.outbox)
    # The draft's examples quote the key (a structured-field string); the same key either way.
    retry = client.post("/api/v1/requests", _body(project, notebook), format="json",
                        headers={"Idempotency-Key": f'"{key}"'})
    assert retry.status_code == 200 and retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert Request.objects.count() == 1 and len(mail.outbox) == sent_mail
    assert _events("request.created") == 1
    repeated = AuditEvent.objects.get(action="request.submit_repeated")
    assert repeated.object_id == first.json()["id"] and repeated.data["idempotency_key"] == key


def test_the_same_key_with_another_body_answers_422_and_creates_nothing(
    scientist: User, project: Project, notebook: Product
) -> None:
    client = _api(scientist)
    first = client.post("/api/v1/requests", _body(project, notebook), format="json",
                        headers={"Idempotency-Key": "retry-1"})
    assert first.status_code == 201
    before = snapshot()
    response = client.post("/api/v1/requests", _body(project, notebook, justification="Other"),
                           format="json", headers={"Idempotency-Key": "retry-1"})
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert "already used for a different request" in response.json()["detail"]
    assert snapshot() == before


def test_another_users_key_never_returns_someone_elses_request(
    scientist: User, colleague: User, project: Project, notebook: Product
) -> None:
    mine = _api(scientist).post("/api/v1/requests", _body(project, notebook), format="json",
                                headers={"Idempotency-Key": "shared-key"})
    body = _body(project, notebook, parameters=notebook_values(
        "ml.p3.2xlarge", NotebookInstanceName="colin-gpu"))
    theirs = _api(colleague).post("/api/v1/requests", body, format="json",
                                  headers={"Idempotency-Key": "shared-key"})
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs.json()["requester"] == colleague.username
    # Even with the very same body: a key is the requester's own, so no 200 with dana's request.
    again = _api(colleague).post("/api/v1/requests", _body(project, notebook), format="json",
                                 headers={"Idempotency-Key": "shared-key"})
    assert again.status_code == 422 and mine.json()["id"] not in str(again.json())


@pytest.mark.parametrize("key", ["x" * 256, "two words", "schlüssel", '""'])
def test_a_malformed_key_answers_400_and_creates_nothing(
    scientist: User, project: Project, notebook: Product, key: str
) -> None:
    before = snapshot()
    response = _api(scientist).post("/api/v1/requests", _body(project, notebook), format="json",
                                    headers={"Idempotency-Key": key})
    assert response.status_code == 400
    assert "Idempotency-Key must be 1 to 255 visible ASCII" in str(
        response.json()["errors"]["idempotency_key"])
    assert snapshot() == before


def test_without_a_key_each_post_is_a_new_request(
    scientist: User, project: Project, notebook: Product
) -> None:
    client = _api(scientist)
    for name in ("dana-a", "dana-b"):
        body = _body(project, notebook, parameters=notebook_values(NotebookInstanceName=name))
        assert client.post("/api/v1/requests", body, format="json").status_code == 201
    assert Request.objects.count() == 2


def test_the_openapi_schema_documents_the_idempotency_key_header(scientist: User) -> None:
    client = Client()
    client.force_login(scientist)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    post = schema["paths"]["/api/v1/requests"]["post"]
    header = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and not header.get("required", False)
    assert "422" in header["description"]
    assert {"200", "201", "422"} <= set(post["responses"])


# --- A race between two submits with one key --------------------------------------------------

@pytest.mark.parametrize("refused_by", ["unique constraint", "name check"])
def test_a_submit_that_loses_the_race_for_its_key_answers_with_the_winners_request(
    demo_policies: None, scientist: User, project: Project, notebook: Product,
    monkeypatch: pytest.MonkeyPatch, refused_by: str,
) -> None:
    """The other submit commits between this one's look-up and its insert: the unique constraint
    refuses the second row (or, first, the name check finds the winner's name live), everything
    of the loser is rolled back, and it gets the winner's request."""
    fields: dict[str, Any] = {
        "requester": scientist, "project_slug": project.slug, "product_id": notebook.pk,
        "parameters": notebook_values(NotebookInstanceName="dana-race"),
        "tag_choices": {"data-classification": "internal"}, "justification": "GPU training",
        "idempotency_key": "race-key"}
    winner = request_submit(**fields)
    assert winner.created
    before = snapshot()
    looked_up = create_module.request_for_key
    calls: list[str] = []

    def first_misses(**kw: Any) -> Request | None:
        calls.append(kw["idempotency_key"])
        return None if len(calls) == 1 else looked_up(**kw)

    monkeypatch.setattr(create_module, "request_for_key", first_misses)
    if refused_by == "unique constraint":
        # As when both checked the name before either committed.
        monkeypatch.setattr(validate_module, "resource_name_errors", lambda **kw: {})
    loser = request_submit(**fields)
    assert not loser.created and loser.request.pk == winner.request.pk
    assert calls == ["race-key", "race-key"]  # missed, inserted, refused, read the winner's
    assert snapshot()[:3] == before[:3] and snapshot()[4] == before[4]
    assert _events("request.created") == 1 and _events("request.submit_repeated") == 1
