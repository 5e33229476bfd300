"""DRF authentication by API token (its own module: DRF imports it while loading its settings,
so it must not import ``rest_framework.views`` the way ``portal.api`` does)."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from portal.models import ApiToken, User
from portal.selectors import api_token_user


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <key>``, checked against the stored digest and the expiry.

    The user row is loaded at each call, so a token acts with the roles the person holds now.
    """

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token header.") from None
        found = api_token_user(key=key)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        return found

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
