"""The catalog and the product page in an exact number of statements (issue 16), each named."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from portal.models import Project, User
from tests.catalog.factories import prices_make, product_make

pytestmark = pytest.mark.django_db


def _catalog(count: int, project: Project) -> list[Product]:
    prices_make(project.aws_region)
    return [product_make(project=project, name=f"Notebook {i:02d}", product_id=f"prod-q{i:03d}",
                         parameters=[{"key": "InstanceType", "default": "ml.m5.xlarge"}])
            for i in range(count)]


def _statements(client: Client, url: str) -> list[str]:
    client.get(url)  # the menu's roles are kept in the session from the first page on
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_catalog_that_fits_on_its_page_is_not_counted(project: Project,
                                                        scientist: User) -> None:
    _catalog(24, project)
    sql = _statements(_signed_in(scientist), "/catalog/")
    # 1 session, 2 user, 3 the page's products with the catalog's count (a window), 4 the
    # prices of their regions, 5 their InstanceType parameters and overrides (one UNION ALL),
    # 6 the menu badge's counts.
    assert len(sql) == 6, "\n".join(sql)
    assert not any("COUNT(*) AS" in s for s in sql)
    assert "LIMIT 24" in sql[2] and "OVER ()" in sql[2]
    assert "UNION ALL" in sql[4] and '"waiting_unread"' in sql[5]
    # The products' card and estimate columns only, not their JSON columns nor contacts.
    for column in ("output_mapping", "idle_parameters", "launch_tag_options", "support_email"):
        assert f'"catalog_product"."{column}"' not in sql[2]
    assert '"catalog_product"."estimate_instance_types"' in sql[2]


def test_a_catalog_of_two_pages_is_counted_with_its_page(project: Project,
                                                         scientist: User) -> None:
    _catalog(25, project)
    client = _signed_in(scientist)
    first = _statements(client, "/catalog/")
    # The same six: the count of products for the pager is a window of the products' read
    # (COUNT(...) OVER ()), not a second run of the scoping subquery.
    assert len(first) == 6 and not any("COUNT(*) AS" in s for s in first), "\n".join(first)
    assert "OVER ()" in first[2] and "LIMIT 24" in first[2]
    body = client.get("/catalog/").content.decode()
    assert "Page 1 of 2" in body and body.count("data-product-id=") == 24
    second = client.get("/catalog/?page=2").content.decode()
    assert "Page 2 of 2" in second and second.count("data-product-id=") == 1
    assert len(_statements(client, "/catalog/?page=2")) == 6  # the last page: no count


def test_the_kind_filter_and_a_search_read_in_the_same_six(project: Project,
                                                           scientist: User) -> None:
    _catalog(3, project)
    product_make(project=project, name="Trainer", product_id="prod-train",
                 kind=Product.Kind.STUDIO_USER_PROFILE)
    client = _signed_in(scientist)
    for url, cards in (("/catalog/?kind=studio_user_profile", 1), ("/catalog/?q=note", 3),
                       ("/catalog/?q=&kind=", 4)):
        sql = _statements(client, url)
        assert len(sql) == 6 and "OVER ()" in sql[2] and "LIMIT 24" in sql[2], "\n".join(sql)
        assert client.get(url).content.decode().count("data-product-id=") == cards, url
