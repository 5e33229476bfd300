"""The platform admin's guardrails pages: every save is a new, audited version (earlier ones kept
and viewable), bad input changes nothing, the report lists the environments that break the rules
in force, and the request form offers only what both curation and guardrails allow."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from guardrails.models import GuardrailVersion, VersionsAreKept
from guardrails.rules import Guardrails
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import make_environment
from tests.guardrails.conftest import GROUP, SUBNET, put_in_force, safe_values

pytestmark = pytest.mark.django_db


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**change: str) -> dict[str, str]:
    return {"instance_types_dev": "ml.t3.medium, ml.m5.xlarge", "instance_types_prod": "",
            "root_access_disabled": "on", "allowed_subnets": SUBNET,
            "volume_min_gb": "10", "volume_max_gb": "50", "max_lease_days": "30",
            "aliases": "prod-nb: InstanceType=NotebookType",
            "reason": "Security review 2026-11", **change}


def _text(response: Any) -> str:
    return response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")


def test_saving_makes_a_new_audited_version_and_keeps_the_old_one(
        platform_admin: User) -> None:
    client = _login(platform_admin)
    response = client.post("/guardrails/", _form())
    assert response.status_code == 302 and response["Location"] == "/guardrails/report/"
    first = GuardrailVersion.objects.get()
    assert first.number == 1 and first.created_by == platform_admin
    assert first.reason == "Security review 2026-11"
    rules = Guardrails.from_json(first.rules)
    assert rules.instance_types_by_environment == {"dev": ("ml.t3.medium", "ml.m5.xlarge")}
    assert rules.root_access_disabled and not rules.direct_internet_disabled
    assert rules.allowed_subnets == (SUBNET,) and rules.volume_max_gb == 50
    assert rules.aliases == {"prod-nb": {"InstanceType": "NotebookType"}}

    client.post("/guardrails/", _form(instance_types_dev="ml.t3.medium", reason="Cheaper dev"))
    assert list(GuardrailVersion.objects.values_list("number", flat=True)) == [2, 1]
    events = AuditEvent.objects.filter(action="guardrails.changed").order_by("pk")
    assert [e.data["version"] for e in events] == [1, 2]
    assert events[1].actor == platform_admin and events[1].data["previous"] == 1
    assert events[1].data["reason"] == "Cheaper dev"
    assert events[1].data["rules"]["instance_types_by_environment"] == {"dev": ["ml.t3.medium"]}

    old = _text(client.get("/guardrails/versions/1/"))
    assert "ml.t3.medium, ml.m5.xlarge" in old and "Security review 2026-11" in old
    assert "(in force)" not in old
    current = _text(client.get("/guardrails/"))
    assert "version 2" in current and 'value="ml.t3.medium"' not in current  # a textarea
    assert "Cheaper dev" in current and "Security review 2026-11" in current
    assert "(in force)" in _text(client.get("/guardrails/versions/2/"))


def test_a_version_is_never_changed_or_deleted(platform_admin: User) -> None:
    version = put_in_force(platform_admin, kms_key_required=True)
    version.reason = "rewritten"
    with pytest.raises(VersionsAreKept):
        version.save()
    with pytest.raises(VersionsAreKept):
        version.delete()
    with pytest.raises(VersionsAreKept):
        GuardrailVersion.objects.update(reason="rewritten")
    with pytest.raises(VersionsAreKept):
        GuardrailVersion.objects.all().delete()
    assert GuardrailVersion.objects.get().reason == "Tighten for the audit"


@pytest.mark.parametrize(("change", "message"), [
    ({"instance_types_dev": "ml.t3.medium, t3.large"}, "Not instance types (ml.family.size): "
                                                      "t3.large."),
    ({"allowed_subnets": "subnet-xyz"}, "Not subnet ids: subnet-xyz."),
    ({"allowed_security_groups": f"{GROUP} vpc-0123abcd"}, "Not security group ids: "
                                                           "vpc-0123abcd."),
    ({"volume_min_gb": "60"}, "Must be at least the smallest volume."),
    ({"volume_max_gb": "lots"}, "Enter a whole number."),
    ({"max_lease_days": "0"}, "Ensure this value is greater than or equal to 1."),
    ({"aliases": "nb: InstanceType=X"}, "Line 1: start with a Service Catalog product id"),
    ({"aliases": "prod-nb: Flavour=X"}, "Line 1: “Flavour=X” is not conventional=key"),
    ({"aliases": "prod-nb: InstanceType=bad key!"}, "is not a parameter key"),
    ({"reason": "  "}, "This field is required."),
])
def test_bad_input_is_a_clear_error_and_saves_nothing(
        platform_admin: User, change: dict[str, str], message: str) -> None:
    response = _login(platform_admin).post("/guardrails/", _form(**change))
    assert response.status_code == 400
    assert message in _text(response)
    assert not GuardrailVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="guardrails.changed").exists()


def test_the_pages_are_for_platform_admins_only(scientist: User, manager: User, auditor: User,
                                                platform_admin: User) -> None:
    put_in_force(platform_admin, kms_key_required=True)
    for user in (scientist, manager, auditor):
        client = _login(user)
        for url in ("/guardrails/", "/guardrails/versions/1/", "/guardrails/report/"):
            assert client.get(url).status_code == 403, (user, url)
        assert client.post("/guardrails/", _form()).status_code == 403
    assert GuardrailVersion.objects.count() == 1
    assert _login(platform_admin).get("/guardrails/versions/7/").status_code == 404


def test_the_report_lists_the_environments_that_break_the_rules_in_force(
        scientist: User, colleague: User, project: Project, governed: Product,
        platform_admin: User) -> None:
    def live(owner: User, name: str, status: str = "available", **values: str) -> Any:
        environment = make_environment(owner, project, governed, status=status)
        environment.provisioned_product_name = name
        environment.parameters = safe_values(**values)
        environment.save(update_fields=["provisioned_product_name", "parameters"])
        return environment

    live(scientist, "dana-ok")
    live(scientist, "dana-root", RootAccess="Enabled")
    live(colleague, "carl-gpu", status="stopped", InstanceType="ml.p3.2xlarge")
    live(colleague, "carl-gone", status="terminated", InstanceType="ml.p3.2xlarge")
    client = _login(platform_admin)
    assert "No live environment breaks" in _text(client.get("/guardrails/report/"))

    response = client.post("/guardrails/", _form(reason="Lock down", allowed_subnets="",
                                                 aliases=""))
    assert "2 rule breaches by existing environments" in _text(client.get(response["Location"]))
    with CaptureQueriesContext(connection) as queries:
        body = _text(client.get("/guardrails/report/"))
    rows = re.findall(r"<tr>\s*<td><a[^>]*>([^<]+)</a></td>.*?</tr>", body, re.S)
    assert rows == ["carl-gpu", "dana-root"]
    assert "root access disabled" in body and "RootAccess" in body and "Enabled" in body
    assert "allowed instance types in dev projects" in body and "ml.p3.2xlarge" in body
    assert "one of ml.t3.medium, ml.m5.xlarge" in body
    for name in ("carl-more", "carl-most"):
        live(colleague, name, RootAccess="Enabled")
    with CaptureQueriesContext(connection) as more:
        client.get("/guardrails/report/")
    assert len(more) == len(queries)  # whatever the number of environments


def test_the_request_form_offers_only_what_both_allow(
        scientist: User, project: Project, governed: Product, platform_admin: User) -> None:
    client = _login(scientist)
    before = _text(client.get(f"/requests/new?product={governed.pk}"))
    assert '<option value="ml.p3.2xlarge"' in before and '<option value="Enabled"' in before
    # The curation allows five types; the guardrail allows two of them and one it does not.
    put_in_force(platform_admin, root_access_disabled=True, volume_max_gb=40, max_lease_days=9,
                 allowed_subnets=(SUBNET,),
                 instance_types_by_environment={"dev": ("ml.m5.xlarge", "ml.c5.large",
                                                        "ml.t3.medium")})
    body = _text(client.get(f"/requests/new?product={governed.pk}"))
    select = re.search(r'<select name="InstanceType".*?</select>', body, re.S)
    assert select is not None
    assert re.findall(r'<option value="([^"]+)"', select.group(0)) == ["ml.t3.medium",
                                                                       "ml.m5.xlarge"]
    root = re.search(r'<select name="RootAccess".*?</select>', body, re.S)
    assert root is not None and re.findall(r'<option value="([^"]+)"', root.group(0)) == [
        "Disabled"]
    assert re.search(r'name="VolumeSizeInGB"[^>]*max="40"', body)
    assert re.search(r'name="req-lease_days"[^>]*max="9"', body)
    assert f'<option value="{SUBNET}"' in body
    assert "Guardrail: root access disabled." in body
    # The stricter curation wins too: the project is dev, so prod's list does not apply.
    assert "ml.c5.large" not in body


def test_the_api_reads_the_rules_in_force(platform_admin: User, scientist: User) -> None:
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(platform_admin)
    assert api.get("/api/v1/guardrails").json()["version"] is None
    put_in_force(platform_admin, max_lease_days=9, reason="Short leases")
    body = api.get("/api/v1/guardrails").json()
    assert body["version"] == 1 and body["reason"] == "Short leases"
    assert body["created_by"] == "pat.admin" and body["rules"]["max_lease_days"] == 9
    api.force_authenticate(scientist)
    assert api.get("/api/v1/guardrails").status_code == 403
