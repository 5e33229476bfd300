"""The Content-Security-Policy holds in a real browser: chromium loads the portal's pages (the
shell, catalog, requests, environments, audit, API docs, the Django admin, the sign-in and error
pages, the fake AWS's landing page) and reports no `securitypolicyviolation` event and no CSP
console message. The listener itself is shown to catch an inline style put in on purpose."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from catalog.models import Product
from portal.models import Project, User
from tests.e2e.conftest import demo_catalog_curated

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs before any page script, outside the page's CSP (Playwright injects it).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


# Pages (tabs) loading at once: each page waits for the network to be idle (500 ms without a
# request), so that late violations are seen; the tabs wait out their idle times together.
TABS = 4


def signed_in_pages(browser: Any, live_server: Any, user: User) -> tuple[list[Any], list[str]]:
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
    context.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    pages = []
    for _ in range(TABS):
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda message: console.append(message.text)
                if "Content Security Policy" in message.text else None)
        pages.append(page)
    return pages, console


def visit(page: Any, url: str, *, status: int = 200) -> list[str]:
    answer = page.goto(url, wait_until="networkidle")
    check_answer(answer, url, status)
    return list(page.evaluate("window.__csp"))


def check_answer(answer: Any, url: str, status: int) -> None:
    assert answer is not None and answer.status == status, (url, answer and answer.status)
    assert answer.headers.get("content-security-policy") == (
        settings.PORTAL_CONTENT_SECURITY_POLICY), url


def visit_all(pages: list[Any], base: str, statuses: dict[str, int]) -> dict[str, list[str]]:
    """Each path loaded in one of ``pages`` (as many at once as there are pages) until the
    network is idle: the violations each one reported."""
    found: dict[str, list[str]] = {}
    paths = list(statuses)
    for start in range(0, len(paths), len(pages)):
        batch = list(zip(pages, paths[start:start + len(pages)], strict=False))
        for page, path in batch:
            check_answer(page.goto(base + path, wait_until="commit"), path, statuses[path])
        for page, path in batch:
            page.wait_for_load_state("networkidle")
            found[path] = list(page.evaluate("window.__csp"))
    return found


def test_the_portal_s_pages_raise_no_csp_violation_in_chromium(
        browser: Any, live_server: Any, platform_admin: User, scientist: User,
        project: Project, settings: Any) -> None:
    settings.FAKEAWS_CATALOG_FILE = ""
    demo_catalog_curated(policies=False)
    product = Product.objects.order_by("pk").first()
    assert product is not None
    project.memberships.create(user=platform_admin)

    base = live_server.url
    paths = ["/", "/catalog/", f"/catalog/{product.pk}/", f"/requests/new?product={product.pk}",
             "/requests/", "/requests/inbox/", "/environments/", "/environments/all/",
             "/audit/", "/account/api-token/", "/catalog/manage/", "/notifications/",
             f"/catalog/manage/{product.pk}/", "/catalog/manage/prices/", "/api/docs/",
             "/admin/", "/admin/portal/project/", f"/admin/portal/project/{project.pk}/change/",
             "/admin/portal/user/", f"/admin/portal/user/{scientist.pk}/change/",
             "/admin/portal/auditevent/", "/admin/portal/failedemail/"]
    refused = {"/no-such-page/": 404, "/fakeaws/notebook/eu-west-1/nb-1/?authToken=forged": 403}
    pages, console = signed_in_pages(browser, live_server, platform_admin)
    found = visit_all(pages, base, {**{path: 200 for path in paths}, **refused})
    page = pages[-1]
    assert page.locator(".swagger-ui").count() == 0  # the last page is not the API docs...
    page.goto(base + "/api/docs/", wait_until="networkidle")
    page.locator(".swagger-ui .info").wait_for()  # ...which render with their script
    anonymous = browser.new_context()
    anonymous.add_init_script(RECORD_VIOLATIONS)
    sign_in = anonymous.new_page()
    found["/accounts/login/ (anonymous)"] = visit(sign_in, base + "/accounts/login/")
    anonymous.close()

    assert {path: seen for path, seen in found.items() if seen} == {}
    assert console == []

    # The listener bites: an inline style attribute, added on purpose, is reported.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', "
                  "'<div style=\"color: red\">x</div><style>p { color: red }</style>')")
    page.wait_for_function("window.__csp.length > 0")
    assert any(v.startswith("style-src") for v in page.evaluate("window.__csp"))
    page.context.close()


def test_signing_in_through_the_dev_idp_raises_no_csp_violation(
        browser: Any, live_server: Any, live_idp: Any) -> None:
    """The dev IdP's pages have a policy of their own (its one style and its auto-posting script
    allowed by hash); its sign-in form and the SAMLResponse auto-post run under it."""
    context = browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    seen: list[tuple[str, str]] = []

    def record(response: Any) -> None:
        if response.url.startswith(live_idp.base_url) and "text/html" in response.headers.get(
                "content-type", ""):
            seen.append((response.url, response.headers.get("content-security-policy", "")))

    page.on("response", record)
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("#sso-sign-in")
    page.wait_for_selector("#username")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == (
        "rgb(238, 241, 245)")  # the hashed style block applies
    form_violations = list(page.evaluate("window.__csp"))
    page.fill("#username", "dana.scientist")
    page.fill("#password", "demo")
    page.click("#idp-sign-in")
    page.wait_for_url(f"{live_server.url}/")  # the auto-post script ran
    assert form_violations == [] and page.evaluate("window.__csp") == []
    assert seen and all(policy.startswith("default-src 'none'") for _, policy in seen), seen
    context.close()
