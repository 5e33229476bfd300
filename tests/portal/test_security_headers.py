"""Security headers on every response, no inline script or style, and the audit CSV's charset."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from portal.models import User

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=|javascript:", re.IGNORECASE)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def inline_code(html: str) -> list[str]:
    return [m.group(0) for pattern in (INLINE_SCRIPT, INLINE_STYLE, EVENT_HANDLER)
            for m in pattern.finditer(html)]


def test_the_policy_allows_no_inline_script_or_style() -> None:
    policy = settings.PORTAL_CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "script-src" not in policy and "style-src" not in policy  # default-src 'self' rules


@pytest.mark.parametrize("template", sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html")))
def test_no_template_carries_inline_script_or_style(template: str) -> None:
    assert inline_code((ROOT / template).read_text()) == []


def test_the_scan_finds_what_it_looks_for() -> None:
    assert len(inline_code('<script>x()</script><div style="a" onclick="b()"><style>')) == 4
    assert inline_code('<script src="/static/a.js" defer></script>') == []


PAGES = ["/", "/catalog/", "/requests/", "/requests/inbox/", "/environments/", "/audit/",
         "/environments/all/", "/admin/", "/admin/provisioning/environment/",
         "/admin/approvals/request/", "/admin/portal/auditevent/", "/api/docs/",
         "/api/v1/me", "/api/v1/environments", "/api/schema/"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_and_api_answer_has_the_headers(url: str, platform_admin: User) -> None:
    response = signed_in(platform_admin).get(url)

    assert response.status_code == 200, url
    assert response["Content-Security-Policy"] == settings.PORTAL_CONTENT_SECURITY_POLICY
    assert response["Permissions-Policy"] == settings.PORTAL_PERMISSIONS_POLICY
    assert "no-store" in response["Cache-Control"]
    if response["Content-Type"].startswith("text/html"):
        assert inline_code(response.content.decode()) == [], url


@pytest.mark.parametrize("url", ["/accounts/login/", "/healthz", "/nowhere/",
                                 "/fakeaws/notebook/eu-west-1/nb-1/?authToken=forged",
                                 "/fakeaws/studio/eu-west-1/d-1/dana/?authToken=forged"])
def test_anonymous_answers_and_the_fake_aws_pages_have_them_too(url: str, client: Client) -> None:
    response = client.get(url)

    assert response["Content-Security-Policy"] == settings.PORTAL_CONTENT_SECURITY_POLICY
    assert response["Permissions-Policy"] == settings.PORTAL_PERMISSIONS_POLICY
    assert "no-store" in response["Cache-Control"]
    if response["Content-Type"].startswith("text/html"):
        assert inline_code(response.content.decode()) == [], url


def test_a_page_without_its_own_cache_header_gets_private_no_store(scientist: User) -> None:
    assert signed_in(scientist).get("/catalog/")["Cache-Control"] == "private, no-store"
    assert signed_in(scientist).get("/api/v1/me")["Cache-Control"] == "private, no-store"


def test_static_files_stay_cacheable(settings: object) -> None:
    settings.WHITENOISE_USE_FINDERS = True  # type: ignore[attr-defined]  # as in the demo
    response = Client().get("/static/portal/portal.css")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert response["Content-Security-Policy"] == settings.PORTAL_CONTENT_SECURITY_POLICY


def test_the_audit_csv_declares_utf8_and_offers_a_bom(auditor: User) -> None:
    client = signed_in(auditor)
    plain = client.get("/audit/export.csv")
    with_bom = client.get("/audit/export.csv", {"bom": "1"})

    assert plain["Content-Type"] == with_bom["Content-Type"] == "text/csv; charset=utf-8"
    plain_bytes = b"".join(plain.streaming_content)  # type: ignore[attr-defined]
    bom_bytes = b"".join(with_bom.streaming_content)  # type: ignore[attr-defined]
    assert plain_bytes.startswith(b"id,at,actor,")
    assert bom_bytes.startswith(b"\xef\xbb\xbfid,at,actor,")
