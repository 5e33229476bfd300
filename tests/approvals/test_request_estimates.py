"""A request stores the estimate of every kind: Studio's default app type, a flat figure."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client

from approvals.services import request_create
from catalog.models import Product
from portal.models import Project, User


def _request(scientist: User, project: Project, product: Product, **parameters: str) -> object:
    return request_create(requester=scientist, project_slug=project.slug, product_id=product.pk,
                          parameters=parameters, tag_choices={},
                          justification="Explore this month's transactions.")


def test_a_studio_profile_request_is_estimated_at_the_default_app_type(
        scientist: User, project: Project, studio: Product, prices: None) -> None:
    request = _request(scientist, project, studio, UserProfileName="dana")
    assert request.estimated_monthly_cost == Decimal("36.50")  # type: ignore[attr-defined]


def test_a_sagemaker_project_request_carries_the_flat_figure_to_the_approver(
        client: Client, scientist: User, project: Project, mlops: Product) -> None:
    mlops.flat_monthly_usd = Decimal("25.00")
    mlops.save()
    request = _request(scientist, project, mlops)  # SageMaker names the project
    assert request.estimated_monthly_cost == Decimal("25.00")  # type: ignore[attr-defined]


def test_the_request_form_shows_the_studio_estimate(
        client: Client, scientist: User, project: Project, studio: Product,
        prices: None) -> None:
    client.force_login(scientist)
    body = client.get(f"/requests/new?product={studio.pk}").content.decode()
    assert 'id="estimate-month">$36.50</span> per month for ml.t3.medium' in body
