"""Issue 10, broken 2: the page shown after a refused parameter save is the saved page with the
one error; every other form on it posts to its own URL and works."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from catalog.models import ParameterOverride, ParameterSpec, Product
from portal.models import User
from tests.html_forms import PageForm, page_forms

pytestmark = pytest.mark.django_db
REFUSED = {"p-VolumeSizeInGB-key": "VolumeSizeInGB", "p-VolumeSizeInGB-hidden": "on",
           "p-VolumeSizeInGB-fixed_value": "1000"}  # the template allows at most 100


@pytest.fixture
def notebook(demo_catalog: list[Product]) -> Product:
    product = Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE)
    product.visible_to_groups.add(Group.objects.create(name="ml-users"))
    ParameterOverride.objects.create(product=product, key="InstanceType", label="Instance size",
                                     allowed_values=["ml.t3.medium", "ml.m5.xlarge"])
    # Something the sync flags for the platform team, shown on the page.
    ParameterSpec.objects.filter(version__product=product, key="KmsKeyId").update(
        pattern_error="unbalanced parenthesis")
    return product


@pytest.fixture
def admin_client(platform_admin: User) -> Client:
    client = Client()
    client.force_login(platform_admin)
    return client


def _refused_page(client: Client, product: Product) -> tuple[str, list[PageForm]]:
    url = reverse("catalog:admin_parameter_override", args=[product.pk, "VolumeSizeInGB"])
    response = client.post(url, REFUSED)
    assert response.status_code == 400
    html = response.content.decode()
    manage = reverse("catalog:admin_product_detail", args=[product.pk])
    return html, [f for f in page_forms(html) if f.method == "post" and
                  f.action.startswith(manage)]


def _form(forms: list[PageForm], action: str) -> PageForm:
    (form,) = [f for f in forms if f.action == action]
    return form


def test_the_refused_page_shows_the_saved_state_and_the_one_error(
        admin_client: Client, notebook: Product) -> None:
    html, forms = _refused_page(admin_client, notebook)
    # The one error: at its field, and in the error summary at the top that links to it.
    assert html.count("Must be at most 100.") == 2
    assert html.count('class="error-summary"') == 1
    curation = _form(forms, reverse("catalog:admin_product_detail", args=[notebook.pk]))
    posted = curation.data()
    assert posted["published"] == ["on"]  # not shown as unpublished
    assert posted["kind"] == ["notebook_instance"]
    assert posted["visible_to_groups"] == [str(Group.objects.get(name="ml-users").pk)]
    assert posted["output_notebook_instance_name"] != [""]
    instance_type = _form(forms, reverse("catalog:admin_parameter_override",
                                         args=[notebook.pk, "InstanceType"])).data()
    assert instance_type["p-InstanceType-label"] == ["Instance size"]
    assert instance_type["p-InstanceType-allowed_values"] == ["ml.t3.medium", "ml.m5.xlarge"]
    volume = _form(forms, reverse("catalog:admin_parameter_override",
                                  args=[notebook.pk, "VolumeSizeInGB"])).data()
    assert volume["p-VolumeSizeInGB-fixed_value"] == ["1000"]  # what was typed, to correct
    assert 'data-flag="pattern_unusable"' in html  # what to fix upstream is still shown


def test_every_other_form_on_the_refused_page_posts_and_works(
        admin_client: Client, notebook: Product) -> None:
    _, forms = _refused_page(admin_client, notebook)
    failed = reverse("catalog:admin_parameter_override", args=[notebook.pk, "VolumeSizeInGB"])
    others = [f for f in forms if f.action != failed]
    assert len(others) >= 4  # the curation form and the other parameters' forms
    for form in others:
        response = admin_client.post(form.action, form.data())
        assert response.status_code == 302, (form.action, response.content.decode()[:2000])
    # Saving every form as shown changed nothing: the saved state was what the page showed.
    notebook.refresh_from_db()
    assert notebook.published
    assert list(notebook.visible_to_groups.values_list("name", flat=True)) == ["ml-users"]
    override = ParameterOverride.objects.get(product=notebook, key="InstanceType")
    assert override.label == "Instance size"
    assert override.allowed_values == ["ml.t3.medium", "ml.m5.xlarge"]
    assert not ParameterOverride.objects.filter(key="VolumeSizeInGB").exists()


def test_the_refused_forms_clear_button_and_corrected_value_work(
        admin_client: Client, notebook: Product) -> None:
    _, forms = _refused_page(admin_client, notebook)
    instance_type = _form(forms, reverse("catalog:admin_parameter_override",
                                         args=[notebook.pk, "InstanceType"]))
    assert admin_client.post(instance_type.action,
                             instance_type.data(button="clear")).status_code == 302
    assert not ParameterOverride.objects.filter(key="InstanceType").exists()
    _, forms = _refused_page(admin_client, notebook)
    volume = _form(forms, reverse("catalog:admin_parameter_override",
                                  args=[notebook.pk, "VolumeSizeInGB"]))
    data = volume.data() | {"p-VolumeSizeInGB-fixed_value": ["50"]}
    assert admin_client.post(volume.action, data).status_code == 302
    assert ParameterOverride.objects.get(key="VolumeSizeInGB").fixed_value == "50"
