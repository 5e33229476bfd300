"""The people, projects and products of ``bench/volume.py``'s seed (``bulk_create``, a few
thousand rows each): users with their managers and roles, projects with their members and leads,
products with two published versions each. See ``volume.py`` for what the rows look like."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Protocol

BATCH = 2_000


class Sizes(Protocol):
    """What of the volume these rows need (``volume.Volume``)."""

    @property
    def users(self) -> int: ...
    @property
    def projects(self) -> int: ...
    @property
    def accounts(self) -> int: ...
    @property
    def products(self) -> int: ...


def chunks(total: int, size: int = BATCH) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(total, start + size))


def users_seed(volume: Sizes, say: Callable[[str], None]) -> list[Any]:
    """Users, every 25th an approver managing the 24 after them (some platform admins and
    auditors among them)."""
    from portal.models import Role, User

    run = uuid.uuid4().hex[:6]
    made: list[Any] = []
    for chunk in chunks(volume.users):
        rows = []
        for i in chunk:
            roles = ([Role.APPROVER] if i % 25 == 0 else []) + (
                [Role.CATALOG_ADMIN] if i % 500 == 1 else []) + (
                [Role.AUDITOR] if i % 1000 == 2 else [])
            rows.append(User(username=f"v{run}.user{i:05d}", first_name="User", last_name=f"{i}",
                             email=f"user{i}.{run}@bank.example", password="!",
                             cost_center=f"CC-{i % 50:04d}", roles=roles,
                             # As sign-in sets it (portal.services): platform admins are staff.
                             is_staff=Role.CATALOG_ADMIN in roles,
                             owner_id=f"AROAVOLUME{i:08d}:user{i}@bank.example"))
        made.extend(User.objects.bulk_create(rows))
    managers = [u for i, u in enumerate(made) if i % 25 == 0]
    for i, user in enumerate(made):
        if i % 25:
            user.manager = managers[i // 25]
    User.objects.bulk_update([u for i, u in enumerate(made) if i % 25], ["manager"],
                             batch_size=BATCH)
    say(f"{len(made)} users ({len(managers)} approvers managing 24 each)")
    return made


def projects_seed(volume: Sizes, users: list[Any], rng: random.Random,
              say: Callable[[str], None]) -> list[Any]:
    """Projects round-robin over the accounts; each user a member of one or two, with leads."""
    from portal.models import Membership, Project

    run = users[0].username.split(".")[0]
    projects = Project.objects.bulk_create(
        Project(slug=f"{run}-p{i:04d}", name=f"Project {i:04d}", cost_center=f"CC-{i % 50:04d}",
                environment=("dev", "uat", "prod")[i % 3],
                aws_account_id=f"{100000000000 + i % volume.accounts:012d}",
                aws_region=("eu-west-1", "eu-central-1")[i % volume.accounts % 2],
                monthly_budget=5000)
        for i in range(volume.projects))
    memberships = []
    for i, user in enumerate(users):
        first = i % len(projects)
        chosen = {first} | ({rng.randrange(len(projects))} if i % 3 == 0 else set())
        for index in chosen:
            memberships.append(Membership(
                user=user, project=projects[index],
                role="lead" if i % 25 == 0 and index == first else "member"))
    Membership.objects.bulk_create(memberships, batch_size=BATCH, ignore_conflicts=True)
    say(f"{len(projects)} projects over {volume.accounts} accounts, "
        f"{len(memberships)} memberships")
    return projects


def products_seed(volume: Sizes, say: Callable[[str], None]) -> list[Any]:
    """Published products over the accounts, two versions each; returns the default versions."""
    from catalog.models import Product, ProductVersion

    kinds = [Product.Kind.NOTEBOOK_INSTANCE, Product.Kind.STUDIO_USER_PROFILE,
             Product.Kind.SAGEMAKER_PROJECT]
    run = uuid.uuid4().hex[:6]
    products = Product.objects.bulk_create(
        Product(aws_account_id=f"{100000000000 + i % volume.accounts:012d}",
                aws_region=("eu-west-1", "eu-central-1")[i % volume.accounts % 2],
                product_id=f"prod-{run}{i:05d}", name=f"Environment {i:03d}",
                owner="ML platform", description=f"Volume product {i}",
                kind=kinds[i % 3], published=True)
        for i in range(volume.products))
    versions = ProductVersion.objects.bulk_create(
        ProductVersion(product=product, artifact_id=f"pa-{run}{i:05d}-{n}", name=f"v{n}",
                       active=True)
        for i, product in enumerate(products) for n in (1, 2))
    for product, version in zip(products, versions[1::2], strict=True):
        product.default_version = version
    Product.objects.bulk_update(products, ["default_version"], batch_size=BATCH)
    say(f"{len(products)} products, {len(versions)} versions")
    return versions[1::2]  # the default (latest) version of each product
