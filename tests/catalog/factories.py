"""Builders for catalog rows used across the catalog tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from catalog.models import InstancePrice, ParameterSpec, Product, ProductVersion
from portal.models import Project


def product_make(
    *, project: Project, name: str = "Notebook", product_id: str = "prod-test00000001",
    published: bool = True, kind: str = Product.Kind.NOTEBOOK_INSTANCE,
    parameters: list[dict[str, Any]] | None = None,
) -> Product:
    """A product with one version in the project's AWS target."""
    product = Product.objects.create(
        aws_account_id=project.aws_account_id, aws_region=project.aws_region,
        product_id=product_id, name=name, description=f"{name} for tests", kind=kind,
        published=published,
    )
    version = ProductVersion.objects.create(product=product, artifact_id=f"pa-{product_id[5:]}",
                                            name="v1")
    for position, spec in enumerate(parameters or []):
        ParameterSpec.objects.create(version=version, position=position, **spec)
    return product


def prices_make(region: str = "eu-west-1") -> None:
    for instance_type, price in {"ml.t3.medium": "0.05", "ml.m5.xlarge": "0.23",
                                 "ml.p3.2xlarge": "3.825"}.items():
        InstancePrice.objects.create(instance_type=instance_type, region=region,
                                     usd_per_hour=Decimal(price))
