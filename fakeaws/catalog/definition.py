"""The catalog definition file (``demo.yaml`` unless FAKEAWS_CATALOG_FILE says otherwise)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

DEFAULT_FILE = Path(__file__).resolve().parent / "demo.yaml"


@dataclass(frozen=True)
class TagOption:
    id: str
    key: str
    value: str


@dataclass(frozen=True)
class Version:
    id: str
    name: str
    template: Path
    guidance: str
    description: str
    created: datetime


@dataclass(frozen=True)
class LaunchPath:
    id: str
    portfolio: str
    launch_constraint: bool
    # The RESOURCE_UPDATE constraint of (portfolio, product): "ALLOWED", "NOT_ALLOWED", or ""
    # when there is none (AWS then refuses tag updates on its provisioned products).
    tag_updates: str = ""


@dataclass(frozen=True)
class Product:
    id: str
    view_id: str
    name: str
    owner: str
    distributor: str
    support_email: str
    support_description: str
    description: str
    created: datetime
    tag_options: list[TagOption]
    product_tags: dict[str, str]
    launch_paths: list[LaunchPath]
    versions: list[Version]


@dataclass(frozen=True)
class Portfolio:
    id: str
    name: str
    description: str
    provider: str
    created: datetime
    tag_options: list[TagOption]
    products: list[str]


@dataclass(frozen=True)
class Catalog:
    baseline: dict[str, Any]
    portfolios: list[Portfolio]
    products: list[Product]

    def product(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    def portfolio(self, portfolio_id: str) -> Portfolio | None:
        return next((p for p in self.portfolios if p.id == portfolio_id), None)


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _tag_options(items: list[dict[str, str]]) -> list[TagOption]:
    return [TagOption(id=i["id"], key=i["key"], value=i["value"]) for i in items]


@functools.cache
def _load(path: str) -> Catalog:
    raw = yaml.safe_load(Path(path).read_text())
    templates = Path(path).parent / "templates"
    portfolios = [Portfolio(id=p["id"], name=p["name"], description=p.get("description", ""),
                            provider=p.get("provider", ""), created=_when(p["created"]),
                            tag_options=_tag_options(p.get("tag_options", [])),
                            products=list(p.get("products", [])))
                  for p in raw.get("portfolios", [])]
    products = [
        Product(
            id=p["id"], view_id=p["view_id"], name=p["name"], owner=p.get("owner", ""),
            distributor=p.get("distributor", ""), support_email=p.get("support_email", ""),
            support_description=p.get("support_description", ""),
            description=p.get("description", ""), created=_when(p["created"]),
            tag_options=_tag_options(p.get("tag_options", [])),
            product_tags=dict(p.get("product_tags", {})),
            launch_paths=[LaunchPath(id=lp["id"], portfolio=lp["portfolio"],
                                     launch_constraint=bool(lp.get("launch_constraint")),
                                     tag_updates=str(lp.get("tag_updates", "") or ""))
                          for lp in p.get("launch_paths", [])],
            versions=[Version(id=v["id"], name=v["name"], template=templates / v["template"],
                              guidance=v.get("guidance", "DEFAULT"),
                              description=v.get("description", ""), created=_when(v["created"]))
                      for v in p.get("versions", [])],
        )
        for p in raw.get("products", [])
    ]
    return Catalog(baseline=dict(raw.get("baseline", {})), portfolios=portfolios,
                   products=products)


def catalog_load() -> Catalog:
    return _load(str(getattr(settings, "FAKEAWS_CATALOG_FILE", "") or DEFAULT_FILE))
