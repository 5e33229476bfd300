"""/api/v1/catalog: products, the form as JSON Schema, parameter checks, admin curation."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog.models import ParameterOverride, Product
from portal.models import AuditEvent, Project, User
from portal.services import api_token_rotate
from tests.catalog.factories import product_make

pytestmark = pytest.mark.django_db

LIST = "/api/v1/catalog/products"


@pytest.fixture
def notebook(demo_catalog: list[Product]) -> Product:
    return Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE)


def _api(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_the_list_has_the_products_the_caller_may_see(demo_catalog: list[Product],
                                                      scientist: User) -> None:
    Product.objects.filter(kind=Product.Kind.SAGEMAKER_PROJECT).update(published=False)
    response = _api(scientist).get(LIST)
    assert response.status_code == 200
    assert response.json()["count"] == 2
    first = response.json()["results"][0]
    assert set(first) == {"id", "product_id", "name", "description", "kind", "kind_label",
                          "owner", "aws_account_id", "aws_region"}
    assert _api(scientist).get(LIST, {"kind": "studio_user_profile"}).json()["count"] == 1
    assert _api(scientist).get(LIST, {"q": "notebook"}).json()["count"] == 1


def test_outsiders_get_an_empty_list_and_a_404_on_the_detail(
    notebook: Product, outsider: User, other_project: Project,
) -> None:
    assert _api(outsider).get(LIST).json()["count"] == 0
    assert _api(outsider).get(f"{LIST}/{notebook.pk}").status_code == 404
    assert _api(outsider).post(f"{LIST}/{notebook.pk}/validate", {}, format="json"
                               ).status_code == 404


def test_anonymous_callers_are_refused(notebook: Product) -> None:
    assert _api().get(LIST).status_code in (401, 403)
    assert _api().get(f"{LIST}/{notebook.pk}").status_code in (401, 403)


def test_token_authentication_works_for_scripts(notebook: Product, scientist: User) -> None:
    key = api_token_rotate(user=scientist)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(f"{LIST}/{notebook.pk}").status_code == 200


def test_the_detail_carries_the_effective_form_as_json_schema(
    notebook: Product, scientist: User,
) -> None:
    ParameterOverride.objects.create(product=notebook, key="InstanceType",
                                     allowed_values=["ml.t3.medium", "ml.m5.xlarge"])
    ParameterOverride.objects.update_or_create(  # the demo seed fixed it already: refix it
        product=notebook, key="KmsKeyId", defaults={
            "hidden": True, "fixed_value": "alias/ml-notebooks"})
    data = _api(scientist).get(f"{LIST}/{notebook.pk}").json()
    assert data["version"]["name"] == "v2"
    assert [v["name"] for v in data["versions"]] == ["v2"]
    schema = data["form"]
    assert schema["properties"]["InstanceType"]["enum"] == ["ml.t3.medium", "ml.m5.xlarge"]
    assert schema["properties"]["VolumeSizeInGB"]["minimum"] == 5
    assert "KmsKeyId" not in schema["properties"]
    assert sorted(data["fixed_parameters"]) == ["KmsKeyId", "SecurityGroupIds", "SubnetId"]
    assert schema["required"] == ["NotebookInstanceName"]
    assert data["estimate"] == {"instance_type": "ml.t3.medium", "basis": "instance",
                                "usd_per_hour": "0.0500", "usd_per_month": "36.50"}
    assert data["prices"]["ml.p3.2xlarge"] == "3.8250"


def test_an_unknown_or_hidden_version_is_a_404(notebook: Product, scientist: User) -> None:
    v1 = notebook.versions.get(name="v1")  # deprecated, hidden by default
    assert _api(scientist).get(f"{LIST}/{notebook.pk}", {"version": v1.pk}).status_code == 404
    assert _api(scientist).get(f"{LIST}/{notebook.pk}", {"version": 999999}).status_code == 404


def test_validate_answers_field_errors_with_a_400(notebook: Product, scientist: User) -> None:
    response = _api(scientist).post(f"{LIST}/{notebook.pk}/validate", {
        "parameters": {"NotebookInstanceName": "nb", "VolumeSizeInGB": 1000,
                       "RootAccess": "Enabled"}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"parameters": {
        "VolumeSizeInGB": ["Must be at most 100."],
        "RootAccess": ["Choose one of: Disabled."]}}


def test_validate_returns_the_full_parameter_set_and_the_estimate(
    notebook: Product, scientist: User,
) -> None:
    response = _api(scientist).post(f"{LIST}/{notebook.pk}/validate", {
        "parameters": {"NotebookInstanceName": "nb", "InstanceType": "ml.m5.xlarge",
                       "VolumeSizeInGB": 50}}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["parameters"]["VolumeSizeInGB"] == "50"
    assert body["parameters"]["RootAccess"] == "Disabled"
    assert body["estimate"]["usd_per_month"] == "167.90"


def test_validate_masks_secrets(project: Project, scientist: User) -> None:
    product = product_make(project=project, parameters=[{"key": "Token", "no_echo": True}])
    response = _api(scientist).post(f"{LIST}/{product.pk}/validate",
                                    {"parameters": {"Token": "hunter2-secret"}}, format="json")
    assert response.status_code == 200
    assert response.json()["parameters"] == {"Token": "****"}
    assert "hunter2" not in response.content.decode()


def test_a_malformed_body_is_a_400(notebook: Product, scientist: User) -> None:
    response = _api(scientist).post(f"{LIST}/{notebook.pk}/validate",
                                    {"parameters": "nope"}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("count", [1, 50])
def test_the_list_runs_a_constant_number_of_queries(project: Project, scientist: User,
                                                    count: int) -> None:
    for n in range(count):
        product_make(project=project, name=f"Notebook {n:02d}", product_id=f"prod-q{n:012d}")
    client = _api(scientist)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.json()["count"] == count
    # The products only: a list that ends within the window is not counted (PortalPagination).
    assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]


# --- curation -----------------------------------------------------------------------------------

def test_curation_endpoints_are_for_platform_admins_only(
    notebook: Product, scientist: User, auditor: User,
) -> None:
    for person in (scientist, auditor):
        client = _api(person)
        assert client.patch(f"/api/v1/catalog/admin/products/{notebook.pk}",
                            {"published": False}, format="json").status_code == 403
        assert client.put(f"/api/v1/catalog/admin/products/{notebook.pk}/parameters/InstanceType",
                          {"label": "x"}, format="json").status_code == 403
        assert client.post("/api/v1/catalog/admin/sync").status_code == 403
    assert _api().post("/api/v1/catalog/admin/sync").status_code in (401, 403)
    assert Product.objects.get(pk=notebook.pk).published is True


def test_an_admin_curates_a_product_through_the_api(
    notebook: Product, platform_admin: User, project: Project,
) -> None:
    Group.objects.create(name="ml-gpu-users")
    client = _api(platform_admin)
    response = client.patch(f"/api/v1/catalog/admin/products/{notebook.pk}", {
        "published": True, "visible_to_groups": ["ml-gpu-users"], "visible_to_projects": ["fraud"],
        "default_version": notebook.versions.get(name="v2").pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["visible_to_groups"] == ["ml-gpu-users"]
    assert AuditEvent.objects.filter(action="catalog.product_updated", actor=platform_admin,
                                     object_id=str(notebook.pk)).count() == 1

    bad = client.patch(f"/api/v1/catalog/admin/products/{notebook.pk}",
                       {"visible_to_groups": ["nobody"]}, format="json")
    assert bad.status_code == 400 and "nobody" in bad.json()["visible_to_groups"][0]


def test_an_admin_narrows_a_parameter_through_the_api_and_a_superset_is_refused(
    notebook: Product, platform_admin: User,
) -> None:
    url = f"/api/v1/catalog/admin/products/{notebook.pk}/parameters/InstanceType"
    client = _api(platform_admin)
    refused = client.put(url, {"allowed_values": ["ml.t3.medium", "ml.g4dn.xlarge"]},
                         format="json")
    assert refused.status_code == 400
    assert "AWS does not allow ml.g4dn.xlarge" in refused.json()["allowed_values"][0]
    accepted = client.put(url, {"allowed_values": ["ml.t3.medium"]}, format="json")
    assert accepted.status_code == 200
    assert ParameterOverride.objects.get(key="InstanceType").allowed_values == ["ml.t3.medium"]


def test_an_admin_queues_a_sync_through_the_api(platform_admin: User) -> None:
    response = _api(platform_admin).post("/api/v1/catalog/admin/sync")
    assert response.status_code == 202 and response.json()["status"] == "queued"


def test_the_form_is_valid_json_schema_that_scripts_can_check_values_with(
    notebook: Product, scientist: User,
) -> None:
    from jsonschema import Draft202012Validator

    schema = _api(scientist).get(f"{LIST}/{notebook.pk}").json()["form"]
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"NotebookInstanceName": "nb-1", "InstanceType": "ml.m5.xlarge",
                               "VolumeSizeInGB": 50})
    assert not validator.is_valid({"NotebookInstanceName": "nb-1", "VolumeSizeInGB": 500})
    assert not validator.is_valid({"NotebookInstanceName": "-bad-"})
    assert not validator.is_valid({"VolumeSizeInGB": 50})  # the name is required


@pytest.mark.parametrize("parameters", [1, 30])
def test_the_detail_runs_a_constant_number_of_queries(project: Project, scientist: User,
                                                      parameters: int) -> None:
    product = product_make(project=project, parameters=[
        {"key": f"P{n}", "default": "x"} for n in range(parameters)])
    client = _api(scientist)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{LIST}/{product.pk}").status_code == 200
    # (6 since version_for_form takes the version with its product from product_for_user: the
    # product and its overrides are not read again; +1: the guardrails in force, for the lease
    # maximum the detail shows)
    assert len(queries) == 7, [q["sql"] for q in queries.captured_queries]
