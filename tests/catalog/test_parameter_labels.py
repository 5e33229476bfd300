"""catalog.parameter_labels: the environment page's labels, NoEcho and fixed flags in one
statement, as parameters_effective has them."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from catalog.models import ParameterOverride, ParameterSpec, Product, ProductVersion
from catalog.parameter_labels import ParameterLabel, parameter_labels
from catalog.parameters import parameters_effective
from portal.models import Project
from tests.catalog.factories import product_make

pytestmark = pytest.mark.django_db


def _effective(version: ProductVersion) -> list[ParameterLabel]:
    version = ProductVersion.objects.select_related("product").get(pk=version.pk)
    return [ParameterLabel(key=p.key, label=p.label, no_echo=p.no_echo, hidden=p.hidden)
            for p in parameters_effective(version=version)]


def _labels(version: ProductVersion) -> list[ParameterLabel]:
    product = version.product
    return parameter_labels(version_id=version.pk, product_id=product.pk, kind=product.kind)


def _version(project: Project, kind: str = Product.Kind.NOTEBOOK_INSTANCE,
             product_id: str = "prod-labels000001") -> ProductVersion:
    product = product_make(project=project, kind=kind, product_id=product_id)
    version = product.versions.get()
    specs: list[dict[str, Any]] = [
        {"key": "Zeta", "position": 1}, {"key": "alpha", "position": 1},  # a tie: by key
        {"key": "Beta", "position": 1}, {"key": "GitToken", "position": 0, "no_echo": True},
        {"key": "Fixed", "position": 2}, {"key": "Plain", "position": 3},
        {"key": "Gone", "position": 0, "retired_at": timezone.now()},
        {"key": "SageMakerProjectName", "position": 4},
    ]
    for spec in specs:
        ParameterSpec.objects.create(version=version, **spec)
    ParameterOverride.objects.create(product=product, key="Zeta", label="Last letter")
    ParameterOverride.objects.create(product=product, key="Fixed", hidden=True,
                                     fixed_value="x")
    ParameterOverride.objects.create(product=product, key="Plain", label="")  # no label: key
    return version


def test_the_labels_are_parameters_effective_s(project: Project) -> None:
    version = _version(project)
    labels = _labels(version)
    assert labels == _effective(version)
    assert [p.key for p in labels] == ["GitToken", "Beta", "Zeta", "alpha", "Fixed", "Plain",
                                       "SageMakerProjectName"]
    by_key = {p.key: p for p in labels}
    assert by_key["Zeta"].label == "Last letter" and by_key["Plain"].label == "Plain"
    assert by_key["GitToken"].no_echo and not by_key["Plain"].no_echo
    assert by_key["Fixed"].hidden and not by_key["Zeta"].hidden
    assert not by_key["SageMakerProjectName"].hidden


def test_a_sagemaker_project_s_own_parameters_are_fixed(project: Project) -> None:
    version = _version(project, kind=Product.Kind.SAGEMAKER_PROJECT)
    labels = _labels(version)
    assert labels == _effective(version)
    assert {p.key for p in labels if p.hidden} == {"Fixed", "SageMakerProjectName"}


def test_another_product_s_overrides_do_not_apply(project: Project) -> None:
    version = _version(project)
    other = product_make(project=project, product_id="prod-labels000002")
    ParameterOverride.objects.create(product=other, key="Beta", label="Not this one",
                                     hidden=True)
    by_key = {p.key: p for p in _labels(version)}
    assert by_key["Beta"] == ParameterLabel(key="Beta", label="Beta", no_echo=False,
                                            hidden=False)


def test_it_reads_one_statement(project: Project,
                                django_assert_num_queries: Any) -> None:
    version = _version(project)
    product = version.product
    with django_assert_num_queries(1):
        parameter_labels(version_id=version.pk, product_id=product.pk, kind=product.kind)
