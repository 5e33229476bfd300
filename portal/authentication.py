"""DRF authentication by API token (its own module: DRF imports it while loading its settings,
so it must not import ``rest_framework.views`` the way ``portal.api`` does)."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from portal.models import ApiToken, User
from portal.selectors import api_token_user


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <key>`` (RFC 6750) or ``Authorization: Token <key>`` (DRF's
    scheme, kept for existing clients), checked against the stored digest and the expiry.

    The user row is loaded at each call, so a token acts with the roles the person holds now.
    Listed first in ``DEFAULT_AUTHENTICATION_CLASSES``: DRF answers an unauthenticated call with
    401 and the first class's ``authenticate_header`` as ``WWW-Authenticate`` (RFC 7235 §3.1
    requires the header on a 401); a first class without one (session) makes it a 403.
    """

    keywords = (b"bearer", b"token")
    realm = "ml-portal"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
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
        # Both schemes this class takes are challenges a client may answer (RFC 7235 §4.1 allows a
        # list); a token that was sent and refused is named as such (RFC 6750 §3.1 invalid_token).
        sent = bool(get_authorization_header(request))
        error = ', error="invalid_token"' if sent else ""
        return f'Bearer realm="{self.realm}"{error}, Token realm="{self.realm}"'

