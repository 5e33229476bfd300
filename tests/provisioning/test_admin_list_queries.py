"""Issue 16: the admin environment list costs what its page shows, not the whole table."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.models import Request
from catalog.models import Product, ProductVersion
from portal.models import Project, User
from provisioning.models import Environment
from provisioning.selectors import products_with_environments
from tests.provisioning.conftest import approved_request, make_notebook_product

pytestmark = pytest.mark.django_db


def _environments(*, requester: User, project: Project, product: Product,
                  version: ProductVersion, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        request = approved_request(requester=requester, project=project, product=product,
                                   version=version)
        Environment.objects.create(origin_request=request, owner=requester, project=project,
                                   product=product, version=version,
                                   provisioned_product_name=f"nb-scale-{n}")


def _page_queries(client: Client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/environments/all/")
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_the_product_drop_down_is_an_exists_not_a_distinct_join(project: Project) -> None:
    product, version = make_notebook_product(project)
    unused = Product.objects.create(aws_account_id=project.aws_account_id,
                                    aws_region=project.aws_region, product_id="prod-unused",
                                    name="Never launched")
    sql = str(products_with_environments().query).upper()
    assert "EXISTS" in sql and "DISTINCT" not in sql
    assert list(products_with_environments()) == []
    assert unused not in products_with_environments()


def test_the_drop_down_lists_each_launched_product_once(
        client: Client, platform_admin: User, scientist: User, project: Project) -> None:
    product, version = make_notebook_product(project)
    _environments(requester=scientist, project=project, product=product, version=version,
                  count=3)
    assert list(products_with_environments()) == [product]
    client.force_login(platform_admin)
    page = client.get("/environments/all/").content.decode()
    assert page.count(f'<option value="{product.pk}"') == 1


def test_the_admin_list_query_count_does_not_grow_with_its_rows(
        client: Client, platform_admin: User, scientist: User, project: Project,
        settings: Any) -> None:
    product, version = make_notebook_product(project)
    _environments(requester=scientist, project=project, product=product, version=version,
                  count=2)
    client.force_login(platform_admin)
    few = _page_queries(client)
    _environments(requester=scientist, project=project, product=product, version=version,
                  count=20, start=2)
    many = _page_queries(client)
    assert len(many) == len(few)
    products = [sql.upper() for sql in many if 'FROM "CATALOG_PRODUCT"' in sql.upper()]
    assert len(products) == 1 and "EXISTS" in products[0] and "DISTINCT" not in products[0]


def test_the_drop_downs_mark_the_chosen_filter_and_escape_names(
        client: Client, platform_admin: User, scientist: User, project: Project) -> None:
    product, version = make_notebook_product(project)
    Product.objects.filter(pk=product.pk).update(name="Notebook <b>GPU</b>")
    _environments(requester=scientist, project=project, product=product, version=version,
                  count=1)
    client.force_login(platform_admin)
    html = client.get(f"/environments/all/?product={product.pk}&project={project.slug}"
                      ).content.decode()
    assert f'<option value="{product.pk}" selected>Notebook &lt;b&gt;GPU&lt;/b&gt;</option>' in html
    assert f'<option value="{project.slug}" selected>' in html
    assert "<b>GPU</b>" not in html


def test_the_status_drop_down_lists_every_status_and_marks_the_chosen_one(
        client: Client, platform_admin: User) -> None:
    client.force_login(platform_admin)
    html = client.get("/environments/all/?status=stopped").content.decode()
    written = "".join(
        f'<option value="{value}"{" selected" if value == "stopped" else ""}>{label}</option>'
        for value, label in Environment.Status.choices)
    assert f'<select name="status"><option value="">Any</option>{written}</select>' in html
    assert html.count(" selected>") == 1


def test_the_drop_downs_escape_values_and_labels_as_the_template_did(
        client: Client, platform_admin: User, project: Project) -> None:
    Project.objects.create(slug='odd"&<slug>', name="R&D <lab> 'x'", cost_center="cc-1",
                           environment=project.environment,
                           aws_account_id=project.aws_account_id, aws_region=project.aws_region)
    client.force_login(platform_admin)
    html = client.get("/environments/all/").content.decode()
    assert ('<option value="odd&quot;&amp;&lt;slug&gt;">R&amp;D &lt;lab&gt; &#x27;x&#x27;'
            '</option>') in html


def test_the_rows_are_read_as_their_columns_in_a_constant_number_of_queries(
        client: Client, platform_admin: User, scientist: User, project: Project) -> None:
    product, version = make_notebook_product(project)
    _environments(requester=scientist, project=project, product=product, version=version,
                  count=3)
    client.force_login(platform_admin)
    _page_queries(client)  # the session's and the menu's first reads
    queries = _page_queries(client)
    # The session, the user, the count, the rows, the projects, the products, the menu's counts.
    assert len(queries) == 7, queries
    [rows] = [sql for sql in queries
              if 'FROM "provisioning_environment" INNER JOIN' in sql]
    for column in ('"provisioning_environment"."parameters"', '"provisioning_environment"."tags"',
                   '"provisioning_environment"."outputs"', '"portal_user"."password"',
                   '"approvals_request"."parameters"', '"catalog_product"."description"'):
        assert column not in rows
    for column in ('"portal_user"."username"', '"portal_project"."slug"',
                   '"catalog_productversion"."name"', '"approvals_request"."number"'):
        assert column in rows
    # The pager's count is of the environments alone: no join of 20,000 rows with five tables.
    [count] = [sql for sql in queries if 'COUNT(*) AS "__count" FROM "provisioning_environment"'
               in sql]
    assert "JOIN" not in count


def test_a_row_shows_the_name_request_owner_project_product_status_and_creation(
        client: Client, platform_admin: User, scientist: User, project: Project) -> None:
    product, version = make_notebook_product(project)
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version)
    Request.objects.filter(pk=request.pk).update(name="")
    environment = Environment.objects.create(
        origin_request=request, owner=scientist, project=project, product=product,
        version=version, provisioned_product_name="pp-1", notebook_instance_name="nb-<1>",
        status=Environment.Status.STOPPED)
    request.refresh_from_db()
    client.force_login(platform_admin)
    html = client.get("/environments/all/").content.decode()
    created = timezone.localtime(environment.created_at).strftime("%Y-%m-%d %H:%M")
    assert (f'<tr data-environment="{environment.pk}">\n'
            f'      <td><a href="/environments/{environment.pk}/">nb-&lt;1&gt;</a> '
            '<span class="muted small">pp-1</span></td>\n'
            f'      <td><a class="reference" href="/requests/{request.pk}/">'
            f'{request.reference}</a></td>\n'
            f'      <td>{scientist.username}</td><td>{project.slug}</td>\n'
            f'      <td>{product.name} {version.name}</td>\n'
            '      <td><span class="status status-stopped" data-status>Stopped</span></td>\n'
            f'      <td class="small">{created}</td>\n'
            '    </tr>') in html
