"""The product page's reads (catalog.product_page) give what the selectors they replace give:
the product under the same scoping, its live versions, their effective parameters, TagOptions and
the requester's projects, in fewer statements."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.checks import tag_options_requestable
from catalog.estimates import prices_for_region
from catalog.models import (
    InstancePrice,
    ParameterOverride,
    ParameterSpec,
    Product,
    ProductVersion,
    TagOption,
)
from catalog.parameters import parameters_effective
from catalog.product_page import product_read_for_user, projects_for_product_read, tag_options_read
from catalog.selectors import product_for_user, projects_for_product, version_for_form
from portal.models import Membership, Project, User
from tests.catalog.factories import prices_make, product_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def curated(project: Project) -> Product:
    """Two live versions (one without parameters), a retired one; live and retired specs;
    overrides of some keys, one of a key no spec has."""
    product = product_make(project=project, parameters=[
        {"key": "InstanceType", "default": "ml.t3.medium",
         "allowed_values": ["ml.t3.medium", "ml.m5.xlarge"]},
        {"key": "VolumeSizeInGB", "parameter_type": "Number", "default": "5",
         "min_value": Decimal("5"), "max_value": Decimal("100")},
        {"key": "Secret", "no_echo": True},
        {"key": "Gone", "default": "x"},
    ])
    v1 = product.versions.get()
    ParameterSpec.objects.filter(version=v1, key="Gone").update(retired_at=timezone.now())
    # A second key spelled like a retired one of the other version, and the same position.
    v2 = ProductVersion.objects.create(product=product, artifact_id="pa-2", name="v2")
    ParameterSpec.objects.create(version=v2, key="Gone", position=0, default="y")
    ParameterSpec.objects.create(version=v2, key="Alpha", position=0)
    ProductVersion.objects.create(product=product, artifact_id="pa-3", name="empty")
    ProductVersion.objects.create(product=product, artifact_id="pa-4", name="retired",
                                  retired_at=timezone.now())
    ParameterOverride.objects.create(product=product, key="InstanceType", label="Instance",
                                     allowed_values=["ml.t3.medium"], help_text="Small only")
    ParameterOverride.objects.create(product=product, key="Secret", hidden=True,
                                     fixed_value="s3cr3t")
    ParameterOverride.objects.create(product=product, key="Gone", label="Gone but labelled")
    ParameterOverride.objects.create(product=product, key="NoSuchSpec", label="Orphan")
    return product


def test_it_reads_the_live_versions_and_their_effective_parameters_as_the_selectors_do(
        curated: Product, scientist: User) -> None:
    read = product_read_for_user(user=scientist, pk=curated.pk)
    expected = product_for_user(user=scientist, pk=curated.pk)
    assert read.product == expected and read.product.name == expected.name
    assert sorted(v.name for v in read.versions) == sorted(
        v.name for v in expected.versions.all()) == ["empty", "v1", "v2"]
    for version in read.versions:
        assert version.product is read.product
        form_version = version_for_form(version=next(
            v for v in expected.versions.all() if v.pk == version.pk))
        assert read.parameters_effective(version) == parameters_effective(version=form_version)
    by_name = {v.name: read.parameters_effective(v) for v in read.versions}
    assert [p.key for p in by_name["v1"]] == ["InstanceType", "VolumeSizeInGB", "Secret"]
    assert [p.key for p in by_name["v2"]] == ["Alpha", "Gone"]  # position, then key
    assert by_name["v2"][1].label == "Gone but labelled" and by_name["empty"] == []
    instance = by_name["v1"][0]
    assert (instance.label, instance.allowed_values, instance.help_text) == (
        "Instance", ("ml.t3.medium",), "Small only")
    assert by_name["v1"][1].max_value == Decimal("100")
    assert by_name["v1"][2].hidden and by_name["v1"][2].fixed_value == "s3cr3t"


def test_a_sagemaker_project_hides_its_own_parameters_as_parameters_effective_does(
        project: Project, scientist: User) -> None:
    product = product_make(project=project, kind=Product.Kind.SAGEMAKER_PROJECT, parameters=[
        {"key": "SageMakerProjectName"}, {"key": "Other", "default": "x"}])
    read = product_read_for_user(user=scientist, pk=product.pk)
    version = version_for_form(version=product.versions.get())
    assert read.parameters_effective(read.versions[0]) == parameters_effective(version=version)


def test_it_reads_the_product_the_versions_and_their_parameters_in_two_statements(
        curated: Product, scientist: User) -> None:
    with CaptureQueriesContext(connection) as queries:
        read = product_read_for_user(user=scientist, pk=curated.pk)
        for version in read.versions:
            read.parameters_effective(version)
    assert len(queries) == 2, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("pk", ["x", "-1", str(2**63), "99999999"])
def test_a_product_id_that_names_no_product_is_a_404(scientist: User, pk: str) -> None:
    with pytest.raises(Http404):
        product_read_for_user(user=scientist, pk=pk)


def test_a_product_out_of_the_requesters_scope_is_a_404(
        curated: Product, scientist: User, outsider: User) -> None:
    with pytest.raises(Http404):
        product_read_for_user(user=outsider, pk=curated.pk)
    curated.visible_to_groups.add(Group.objects.create(name="quants"))
    with pytest.raises(Http404):
        product_read_for_user(user=scientist, pk=curated.pk)
    scientist.groups.add(Group.objects.get(name="quants"))
    assert product_read_for_user(user=scientist, pk=curated.pk).product == curated
    Product.objects.filter(pk=curated.pk).update(published=False)
    with pytest.raises(Http404):
        product_read_for_user(user=scientist, pk=curated.pk)


def test_an_inactive_requester_sees_no_product(curated: Product, scientist: User) -> None:
    scientist.is_active = False
    with pytest.raises(Http404):
        product_read_for_user(user=scientist, pk=curated.pk)


def test_the_projects_are_the_selectors(curated: Product, scientist: User, project: Project,
                                        other_project: Project) -> None:
    second = Project.objects.create(
        slug="aaa-second", name="AAA second", aws_account_id=project.aws_account_id,
        aws_region=project.aws_region, cost_center="CC-1", environment="dev")
    Membership.objects.create(user=scientist, project=second)
    Project.objects.create(slug="inactive", name="Inactive", aws_account_id=project.aws_account_id,
                           aws_region=project.aws_region, cost_center="CC-1", active=False)
    found = projects_for_product_read(user=scientist, product=curated)
    assert found == list(projects_for_product(user=scientist, product=curated)) == [
        second, project]
    assert found[0].slug == "aaa-second"
    assert projects_for_product_read(user=scientist, product=Product(
        aws_account_id=project.aws_account_id, aws_region="us-east-1")) == []


def test_the_tag_options_are_the_checks_and_unread_when_the_launch_path_gave_them(
        curated: Product) -> None:
    for key, value, active in (("team", "b", True), ("team", "a", True), ("cost", "x", False)):
        curated.tag_options.add(TagOption.objects.create(
            aws_account_id=curated.aws_account_id, aws_region=curated.aws_region,
            tag_option_id=f"tag-{key}-{value}", key=key, value=value, active=active))
    assert tag_options_read(product=curated) == tag_options_requestable(product=curated) == {
        "team": ["a", "b"]}
    curated.launch_tag_options = {"stage": ["prod", "dev"]}
    with CaptureQueriesContext(connection) as queries:
        assert tag_options_read(product=curated) == {"stage": ["dev", "prod"]}
    assert len(queries) == 0


def test_the_product_read_tells_whether_it_has_live_tag_options_of_its_own(
        curated: Product, scientist: User, project: Project) -> None:
    """``own_tag_options`` is False only when ``tag_options_requestable`` would find none of
    the product's own: then ``tag_options_read`` reads nothing and gives what it gives."""
    def own() -> bool:
        return product_read_for_user(user=scientist, pk=curated.pk).own_tag_options

    assert own() is False
    with CaptureQueriesContext(connection) as queries:
        assert tag_options_read(product=curated, own=False) == {}
    assert len(queries) == 0
    # Another product's, an inactive and a retired one are not the product's live ones.
    other = product_make(project=project, product_id="prod-other")
    for tag_id, product, active, retired in (("tag-o", other, True, None),
                                             ("tag-i", curated, False, None),
                                             ("tag-r", curated, True, timezone.now())):
        product.tag_options.add(TagOption.objects.create(
            aws_account_id=curated.aws_account_id, aws_region=curated.aws_region,
            tag_option_id=tag_id, key="team", value=tag_id, active=active, retired_at=retired))
    assert own() is False and tag_options_requestable(product=curated) == {}
    curated.tag_options.add(TagOption.objects.create(
        aws_account_id=curated.aws_account_id, aws_region=curated.aws_region,
        tag_option_id="tag-live", key="team", value="quants"))
    assert own() is True
    assert tag_options_read(product=curated, own=True) == tag_options_requestable(
        product=curated) == {"team": ["quants"]}


def test_the_prices_are_the_regions_own(project: Project) -> None:
    """``prices_for_region`` (a statement compiled once): that region's hourly prices only."""
    prices_make("eu-west-1")
    InstancePrice.objects.create(instance_type="ml.t3.medium", region="us-east-1",
                                 usd_per_hour=Decimal("0.0416"))
    InstancePrice.objects.create(instance_type="ml.g5.xlarge", region="us-east-1",
                                 usd_per_hour=Decimal("1.006"))
    assert prices_for_region(region="us-east-1") == {
        "ml.t3.medium": Decimal("0.0416"), "ml.g5.xlarge": Decimal("1.006")}
    west = prices_for_region(region="eu-west-1")
    assert west["ml.t3.medium"] == Decimal("0.05") and set(west) == {
        "ml.t3.medium", "ml.m5.xlarge", "ml.p3.2xlarge"}
    assert all(isinstance(v, Decimal) for v in west.values())
    assert prices_for_region(region="ap-south-1") == {}


@pytest.mark.parametrize("who", ["scientist", "colleague", "outsider", "manager",
                                 "platform_admin", "auditor"])
def test_it_scopes_every_role_of_the_cast_as_the_selector_does(
        request: pytest.FixtureRequest, curated: Product, who: str) -> None:
    user: User = request.getfixturevalue(who)
    try:
        expected: object = product_for_user(user=user, pk=curated.pk).pk
    except Http404:
        expected = Http404
    try:
        found: object = product_read_for_user(user=user, pk=curated.pk).product.pk
    except Http404:
        found = Http404
    assert found == expected
