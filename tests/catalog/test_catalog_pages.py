"""The requester's catalog page and product page with the generated form."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import ParameterOverride, ParameterSpec, Product, TagOption
from portal.models import Project, User
from tests.catalog.factories import product_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def notebook(demo_catalog: list[Product]) -> Product:
    return Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_catalog_lists_the_products_the_user_may_see(
    demo_catalog: list[Product], scientist: User,
) -> None:
    Product.objects.filter(kind=Product.Kind.SAGEMAKER_PROJECT).update(published=False)
    response = _client(scientist).get(reverse("catalog:product_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "SageMaker notebook instance" in body and "SageMaker Studio user profile" in body
    assert "model build, train and deploy" not in body
    assert 'data-nav="catalog:product_list"' in body


def test_the_catalog_searches_by_name_and_filters_by_kind(
    demo_catalog: list[Product], scientist: User,
) -> None:
    client = _client(scientist)
    found = client.get(reverse("catalog:product_list"), {"q": "studio"}).context["page"]
    assert [p.name for p in found] == ["SageMaker Studio user profile"]
    found = client.get(reverse("catalog:product_list"), {"kind": "sagemaker_project"},
                       ).context["page"]
    assert [p.name for p in found] == ["SageMaker project: model build, train and deploy"]
    found = client.get(reverse("catalog:product_list"), {"q": "jupyter"}).context["page"]
    assert [p.name for p in found] == ["SageMaker notebook instance"]  # description matches
    assert client.get(reverse("catalog:product_list"), {"kind": "spaceship"}).status_code == 400


def test_anonymous_visitors_are_sent_to_sign_in(notebook: Product) -> None:
    for url in (reverse("catalog:product_list"),
                reverse("catalog:product_detail", args=[notebook.pk])):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_product_page_of_an_invisible_product_is_a_404(
    notebook: Product, outsider: User, other_project: Project, scientist: User,
) -> None:
    url = reverse("catalog:product_detail", args=[notebook.pk])
    assert _client(outsider).get(url).status_code == 404
    Product.objects.filter(pk=notebook.pk).update(published=False)
    assert _client(scientist).get(url).status_code == 404


def test_the_product_page_shows_the_generated_form_of_the_default_version(
    notebook: Product, scientist: User,
) -> None:
    response = _client(scientist).get(reverse("catalog:product_detail", args=[notebook.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "version v2" in body
    assert '<select name="InstanceType"' in body and '<option value="ml.p3.2xlarge"' in body
    assert 'name="VolumeSizeInGB"' in body and 'min="5"' in body and 'max="100"' in body
    assert 'pattern="[a-zA-Z0-9](-*[a-zA-Z0-9])*"' in body
    assert "Estimated cost" in body and "$0.0500" in body and "$36.50" in body
    assert "deprecated" not in body  # v1 is deprecated and hidden by default


def test_a_bad_value_gets_a_field_level_error_and_the_form_keeps_the_other_values(
    notebook: Product, scientist: User,
) -> None:
    url = reverse("catalog:product_detail", args=[notebook.pk])
    response = _client(scientist).post(url, {
        "version": notebook.versions.get(name="v2").pk, "NotebookInstanceName": "my-notebook",
        "InstanceType": "ml.p3.2xlarge", "VolumeSizeInGB": "500",
    })
    assert response.status_code == 400
    assert response.context["form"].errors == {"VolumeSizeInGB": ["Must be at most 100."]}
    body = response.content.decode()
    assert 'id="errors-VolumeSizeInGB"' in body and 'value="my-notebook"' in body
    assert "$3.8250" in body  # the estimate follows the chosen instance type


def test_good_values_are_confirmed(notebook: Product, scientist: User) -> None:
    url = reverse("catalog:product_detail", args=[notebook.pk])
    response = _client(scientist).post(url, {
        "version": notebook.versions.get(name="v2").pk, "NotebookInstanceName": "my-notebook",
        "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": "50",
    })
    assert response.status_code == 200
    assert "These parameters are valid." in response.content.decode()


def test_the_form_shows_exactly_the_curated_parameters(
    notebook: Product, scientist: User,
) -> None:
    ParameterOverride.objects.create(product=notebook, key="InstanceType",
                                     allowed_values=["ml.t3.medium", "ml.m5.xlarge"],
                                     label="Instance size", help_text="GPU needs approval.")
    ParameterOverride.objects.create(product=notebook, key="VolumeSizeInGB", hidden=True,
                                     fixed_value="30")
    client = _client(scientist)
    url = reverse("catalog:product_detail", args=[notebook.pk])
    body = client.get(url).content.decode()
    assert "Instance size" in body and "GPU needs approval." in body
    assert 'value="ml.p3.2xlarge"' not in body
    assert 'name="VolumeSizeInGB"' not in body
    response = client.post(url, {"NotebookInstanceName": "nb", "InstanceType": "ml.p3.2xlarge",
                                 "VolumeSizeInGB": "99"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "InstanceType": ["Choose one of: ml.t3.medium, ml.m5.xlarge."],
        "__all__": ["This parameter is set by the platform team and cannot be changed."],
    }


def test_no_echo_parameters_are_password_inputs_never_echoed_back(
    project: Project, scientist: User,
) -> None:
    product = product_make(project=project, parameters=[
        {"key": "GitToken", "no_echo": True, "min_length": 10, "default": None},
        {"key": "Name", "default": None},
    ])
    url = reverse("catalog:product_detail", args=[product.pk])
    body = _client(scientist).get(url).content.decode()
    assert 'type="password" name="GitToken"' in body
    response = _client(scientist).post(url, {"GitToken": "s3cr3t-token-value", "Name": ""})
    assert response.status_code == 400
    assert "s3cr3t-token-value" not in response.content.decode()


def test_a_deprecated_version_can_be_shown_and_chosen_when_the_admin_allows_it(
    notebook: Product, scientist: User,
) -> None:
    client = _client(scientist)
    v1 = notebook.versions.get(name="v1")
    url = reverse("catalog:product_detail", args=[notebook.pk])
    assert client.get(url, {"version": v1.pk}).status_code == 302  # hidden: back to default
    Product.objects.filter(pk=notebook.pk).update(hide_deprecated=False)
    body = client.get(url, {"version": v1.pk}).content.decode()
    assert "version v1" in body and 'name="VolumeSizeInGB"' not in body


def test_a_product_with_no_requestable_version_says_so(project: Project,
                                                        scientist: User) -> None:
    product = product_make(project=project)
    product.versions.update(active=False)
    body = _client(scientist).get(
        reverse("catalog:product_detail", args=[product.pk])).content.decode()
    assert "No version of this product can be requested" in body


@pytest.mark.parametrize("count", [1, 50])
def test_the_catalog_page_runs_a_constant_number_of_queries(
    project: Project, scientist: User, count: int,
) -> None:
    for n in range(count):
        product_make(project=project, name=f"Notebook {n:02d}", product_id=f"prod-q{n:012d}")
    client = _client(scientist)
    client.get(reverse("catalog:product_list"))  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("catalog:product_list"))
    assert response.status_code == 200
    # session, user, the page's products with their count for the pager (a window count:
    # portal.paging), the cards' estimates: prices, then InstanceType specs and overrides in
    # one UNION ALL (catalog.estimates), and the menu's count of what waits (unread
    # notifications; no tasks for a scientist). The menu's "may approve" was answered at
    # sign-in and is kept (issue 16). 50 products are more than a page: the same six.
    assert len(queries) == 6, [q["sql"] for q in queries.captured_queries]
    assert ("Page 1 of 3" in response.content.decode()) is (count == 50)


@pytest.mark.parametrize("parameters", [1, 30])
def test_the_product_page_runs_a_constant_number_of_queries(
    project: Project, scientist: User, parameters: int,
) -> None:
    product = product_make(project=project, parameters=[
        {"key": f"P{n}", "default": "x"} for n in range(parameters)])
    assert ParameterSpec.objects.count() == parameters
    client = _client(scientist)
    url = reverse("catalog:product_detail", args=[product.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    # 1 session, 2 user, 3 the product (scoped as products_for_user scopes it) with whether it
    # has live TagOptions of its own (it has none: they are not read), 4 its live versions with
    # their live parameters and the overrides of those (one statement, catalog.product_page),
    # 5 the requester's projects for it (the choice, the default and the auto-stop panel), 6 the
    # guardrails in force (the form's narrowing and the lease maximum, portal.memo), 7 the
    # prices, 8 the menu's count of what waits, 9 the auto-stop policies. (12 before: the
    # overrides, versions and parameters were three reads; 10: the TagOptions were read when
    # the product had none.)
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 9, sql
    assert sum("catalog_parameterspec" in s for s in sql) == 1
    assert "catalog_parameteroverride" in sql[3] and "catalog_productversion" in sql[3]
    assert not any(s.startswith('SELECT "catalog_parameteroverride"') for s in sql)
    assert "EXISTS" in sql[2] and "catalog_tagoption" in sql[2]
    assert not any(s.startswith('SELECT "catalog_tagoption"') for s in sql)
    assert 'FROM "portal_project"' in sql[4]
    # A live TagOption of its own: read, and shown.
    product.tag_options.add(TagOption.objects.create(
        aws_account_id=product.aws_account_id, aws_region=product.aws_region,
        tag_option_id="tag-team-a", key="team", value="quants"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200 and len(queries) == 10
    assert queries.captured_queries[4]["sql"].startswith('SELECT "catalog_tagoption"')
    assert '<code>team</code>: <code>quants</code>' in response.content.decode()
    # A product whose launch path gave its TagOptions: they are not read.
    Product.objects.filter(pk=product.pk).update(launch_tag_options={"team": ["a"]})
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) == 9 and not any(
        q["sql"].startswith('SELECT "catalog_tagoption"') for q in queries.captured_queries)
    assert len([q for q in queries.captured_queries
                if 'FROM "guardrails_guardrailversion"' in q["sql"]]) == 1
    assert len([q for q in queries.captured_queries
                if 'FROM "portal_project"' in q["sql"]]) == 1


def test_the_product_page_posts_its_values_to_the_request_form_for_that_version(
    notebook: Product, scientist: User,
) -> None:
    response = _client(scientist).get(reverse("catalog:product_detail", args=[notebook.pk]))

    version = notebook.versions.get(name="v2")
    # ... for the project the form was narrowed for (the first one: the page's project choice).
    expected = (f"{reverse('approvals:request_new')}?product={notebook.pk}&amp;"
                f"version={version.pk}&amp;project=fraud")
    # A submit button of the "Check parameters" form: what was typed goes to the request form.
    button = re.search(r'<form method="post"[^>]*id="request-form".*?</form>',
                       response.content.decode(), re.S)
    assert button and (f'id="request-link" name="carry" value="product" '
                       f'formaction="{expected}"') in button.group(0)


def test_the_product_page_links_the_catalog_and_its_estimate_script_as_url_and_static_do(
    notebook: Product, scientist: User,
) -> None:
    """The back link and the estimate's script are written once per process (``url_plain``,
    ``static_kept``): what ``{% url %}`` and ``{% static %}`` write (tests/portal/test_reversing
    holds ``url_plain`` to the request's script prefix)."""
    from django.templatetags.static import static

    url = reverse("catalog:product_detail", args=[notebook.pk])
    body = _client(scientist).get(url).content.decode()
    assert f'<p><a href="{reverse("catalog:product_list")}">← Catalog</a></p>' in body
    assert f'<script src="{static("catalog/cost_estimate.js")}"></script>' in body
