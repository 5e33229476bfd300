"""Issue 10: the environment page shows what it runs (version, instance type, volume, every
parameter, secrets masked); a failed one offers "request again with these values"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import ParameterOverride, ParameterSpec
from portal.models import User
from portal.sealing import value_seal
from provisioning.models import Environment
from provisioning.selectors import SECRET_MASK

pytestmark = pytest.mark.django_db


def _page(client: Client, user: User, environment: Environment) -> str:
    client.force_login(user)
    response = client.get(reverse("provisioning:environment_detail", args=[environment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _row(html: str, key: str) -> str:
    found = re.search(rf'<tr data-parameter="{key}">(.*?)</tr>', html, re.S)
    assert found, key
    return found.group(1)


def test_the_page_shows_the_version_instance_type_volume_and_parameters(
        client: Client, scientist: User, available: Environment) -> None:
    ParameterOverride.objects.create(product=available.product, key="InstanceType",
                                     label="Instance size")
    ParameterSpec.objects.create(version=available.version, key="InstanceType", position=1)
    html = _page(client, scientist, available)
    runs = re.search(r'<section class="card" id="runs">(.*?)</section>', html, re.S)
    assert runs
    assert "<dt>Version</dt><dd>v1</dd>" in runs.group(1)
    assert '<dd data-runs="instance-type">ml.t3.medium</dd>' in runs.group(1)
    assert '<dd data-runs="volume">20 GB</dd>' in runs.group(1)
    assert "Instance size" in _row(html, "InstanceType")  # labelled as the request form does
    assert "<code>Disabled</code>" in _row(html, "RootAccess")


def test_a_secret_parameter_is_masked_whether_sealed_or_not(
        client: Client, scientist: User, platform_admin: User, available: Environment) -> None:
    ParameterSpec.objects.create(version=available.version, key="GitToken", position=9,
                                 no_echo=True, default="")
    sealed = value_seal("ghp-real-token", key="OtherToken")
    available.parameters = {**available.parameters, "GitToken": "ghp-plain-token",
                            "OtherToken": sealed}
    available.save()
    for person in (scientist, platform_admin):
        html = _page(client, person, available)
        assert "ghp-plain-token" not in html and "ghp-real-token" not in html
        assert sealed not in html
        assert SECRET_MASK in _row(html, "GitToken") and SECRET_MASK in _row(html, "OtherToken")


def test_a_failed_environment_offers_its_owner_to_request_again(
        client: Client, scientist: User, platform_admin: User, queued: Environment) -> None:
    Environment.objects.filter(pk=queued.pk).update(status="failed",
                                                    status_message="CREATE_FAILED: no subnet")
    ParameterSpec.objects.create(version=queued.version, key="VolumeSizeInGB", position=2,
                                 parameter_type="Number", default="5")
    html = _page(client, scientist, queued)
    link = re.search(r'<a [^>]*href="([^"]+)" id="again-link"', html)
    assert link
    assert link.group(1).replace("&amp;", "&") == (
        f"{reverse('approvals:request_new')}?product={queued.product_id}"
        f"&version={queued.version_id}&project={queued.project.slug}"
        f"&again={queued.origin_request_id}")
    # The link opens the new request form with the failed request's values.
    form = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert 'value="20"' in re.search(r'<input[^>]*name="VolumeSizeInGB"[^>]*>', form,
                                     re.S).group(0)  # type: ignore[union-attr]
    assert "data-start-note" in form
    # A platform admin sees the page, but the request would be theirs, not the owner's.
    assert 'id="again-link"' not in _page(client, platform_admin, queued)


@pytest.mark.parametrize("status", ["queued", "available", "stopped", "terminated"])
def test_only_a_failed_environment_offers_request_again(
        status: str, client: Client, scientist: User, queued: Environment) -> None:
    Environment.objects.filter(pk=queued.pk).update(status=status)
    assert 'id="again-link"' not in _page(client, scientist, queued)


def test_the_page_reads_a_bounded_number_of_queries(
        client: Client, scientist: User, available: Environment,
        django_assert_max_num_queries: Any) -> None:
    for position in range(30):
        ParameterSpec.objects.create(version=available.version, key=f"Extra{position}",
                                     position=10 + position, default="x")
    available.parameters = {**available.parameters,
                            **{f"Extra{position}": "y" for position in range(30)}}
    available.save()
    client.force_login(scientist)
    url = reverse("provisioning:environment_detail", args=[available.pk])
    # measured: 13 — the page (6), the parameters table (1: the specs joined to their
    # overrides, catalog.parameter_labels), the cost so far (metering: the
    # prices and storage prices in one UNION ALL, the status edges), the Cost Explorer actuals
    # (one statement: the daily costs' sums and the last fetch), its requests, its lease, its
    # auto-stop policies (leases' panel) and the menu's count of what waits; none of them
    # grows with the rows
    with django_assert_max_num_queries(13):
        assert client.get(url).status_code == 200
