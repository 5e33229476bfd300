"""Signing in through the dev IdP in a browser: the one way the demo journey
(``scripts/demo_browser.py``) and the browser tests (``tests/e2e``) do it."""

from __future__ import annotations

from typing import Any


def idp_sign_in(page: Any, portal_url: str, username: str, password: str = "demo") -> None:
    """On a Playwright ``page``: the portal's login page, "Sign in with SSO", the dev IdP's form,
    back on the portal's home page (the wait fails if the IdP refused the password)."""
    portal_url = portal_url.rstrip("/")
    page.goto(f"{portal_url}/accounts/login/")
    page.click("#sso-sign-in")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#idp-sign-in")
    page.wait_for_url(f"{portal_url}/")
