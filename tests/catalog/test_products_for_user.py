"""Who sees which product: published, in one of their projects' AWS targets, and allowed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.http import Http404
from django.utils import timezone

from catalog.models import Product
from catalog.selectors import product_for_user, products_for_admin, products_for_user
from portal.models import Membership, Project, User
from tests.catalog.factories import product_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(project: Project) -> Product:
    return product_make(project=project)


def _sees(user: User, product: Product) -> bool:
    visible = products_for_user(user=user).filter(pk=product.pk).exists()
    try:
        product_for_user(user=user, pk=product.pk)
    except Http404:
        assert not visible
        return False
    assert visible
    return True


def test_by_default_everyone_in_a_project_of_the_products_target_sees_it(
    product: Product, scientist: User, colleague: User, outsider: User, other_project: Project,
) -> None:
    assert _sees(scientist, product) and _sees(colleague, product)
    assert not _sees(outsider, product)  # their project is in another account


def test_unpublished_and_retired_products_are_invisible(product: Product,
                                                         scientist: User) -> None:
    Product.objects.filter(pk=product.pk).update(published=False)
    assert not _sees(scientist, product)
    Product.objects.filter(pk=product.pk).update(published=True, retired_at=timezone.now())
    assert not _sees(scientist, product)


def test_a_group_restriction_shows_the_product_to_members_of_the_group_only(
    product: Product, scientist: User, colleague: User,
) -> None:
    gpu = Group.objects.create(name="ml-gpu-users")
    product.visible_to_groups.set([gpu, Group.objects.create(name="other")])
    scientist.groups.add(gpu)
    assert _sees(scientist, product)
    assert not _sees(colleague, product)
    assert products_for_user(user=scientist).count() == 1  # no duplicates from the joins


def test_a_project_restriction_shows_the_product_to_members_of_those_projects_only(
    product: Product, project: Project, scientist: User, colleague: User,
) -> None:
    pilot = Project.objects.create(slug="pilot", name="Pilot", cost_center="CC-1",
                                   environment="dev", aws_account_id=project.aws_account_id,
                                   aws_region=project.aws_region)
    Membership.objects.create(user=scientist, project=pilot)
    product.visible_to_projects.set([pilot])
    assert _sees(scientist, product)
    assert not _sees(colleague, product)


def test_with_groups_and_projects_both_must_hold(product: Product, project: Project,
                                                 scientist: User) -> None:
    gpu = Group.objects.create(name="ml-gpu-users")
    product.visible_to_groups.set([gpu])
    product.visible_to_projects.set([project])
    assert not _sees(scientist, product)
    scientist.groups.add(gpu)
    assert _sees(scientist, product)


def test_leaving_an_inactive_project_hides_its_products(product: Product, project: Project,
                                                        scientist: User) -> None:
    Project.objects.filter(pk=project.pk).update(active=False)
    assert not _sees(scientist, product)


def test_inactive_and_anonymous_users_see_nothing(product: Product, scientist: User) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not products_for_user(user=AnonymousUser()).exists()  # type: ignore[arg-type]
    User.objects.filter(pk=scientist.pk).update(is_active=False)
    scientist.refresh_from_db()
    assert not products_for_user(user=scientist).exists()


def test_platform_admins_see_everything_in_the_admin_selector_only(
    product: Product, platform_admin: User, scientist: User,
) -> None:
    Product.objects.filter(pk=product.pk).update(published=False)
    assert list(products_for_admin(user=platform_admin)) == [product]
    assert not _sees(platform_admin, product)
    assert not products_for_admin(user=scientist).exists()


def test_a_non_numeric_id_is_a_404(scientist: User) -> None:
    with pytest.raises(Http404):
        product_for_user(user=scientist, pk="1 OR 1=1")
