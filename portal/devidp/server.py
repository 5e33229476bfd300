"""A small WSGI front end for the dev IdP: sign-in form, SSO endpoint, metadata."""

from __future__ import annotations

import base64
import hashlib
import html
import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from portal.devidp.idp import DevIdP, UserDirectory

logger = logging.getLogger("portal.devidp")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

STYLE = """
body{font:15px system-ui,sans-serif;background:#eef1f5;margin:0}
main{max-width:30rem;margin:3rem auto;background:#fff;padding:1.5rem;border-radius:.5rem;
border:1px solid #d8dee6} h1{font-size:1.3rem} label{display:block;margin:.6rem 0}
input{font:inherit;width:100%;padding:.35rem} button{font:inherit;padding:.4rem 1rem;
background:#5a2a82;color:#fff;border:0;border-radius:.3rem} .error{color:#b3261e}
.banner{background:#fff4d6;padding:.4rem;border-radius:.25rem;font-size:.9em}
table{border-collapse:collapse;width:100%} td{padding:.2rem .4rem;border-bottom:1px solid #eee}
"""
AUTO_POST = "document.getElementById('saml-post').submit()"
PAGE_START = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
              f"<title>Development IdP</title><style>{STYLE}</style></head><body><main>")
PAGE_END = "</main></body></html>"


def _csp_hash(source: str) -> str:
    """A CSP source expression allowing exactly this inline text (CSP3: base64 of its SHA-256)."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


# The IdP's one style block and one script (the auto-post of the SAMLResponse) are inline, so
# the policy allows just those two texts by hash; nothing else runs or styles the pages.
CONTENT_SECURITY_POLICY = (f"default-src 'none'; style-src {_csp_hash(STYLE)}; "
                           f"script-src {_csp_hash(AUTO_POST)}; base-uri 'none'; "
                           "frame-ancestors 'none'")


def _page(body: str) -> bytes:
    return (PAGE_START + body + PAGE_END).encode()


class DevIdPApp:
    def __init__(self, idp: DevIdP, directory: UserDirectory) -> None:
        self.idp = idp
        self.directory = directory

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if path == "/metadata":
                metadata = self.idp.metadata_xml().encode()
                return self._respond(start_response, HTTPStatus.OK, metadata,
                                     "application/samlmetadata+xml")
            if path == "/sso/redirect" and method == "GET":
                query = parse_qs(environ.get("QUERY_STRING", ""))
                return self._login_form(start_response, query)
            if path == "/sso/login" and method == "POST":
                return self._sign_in(environ, start_response)
            if path == "/":
                return self._home(start_response)
            return self._respond(start_response, HTTPStatus.NOT_FOUND, _page("<h1>Not found</h1>"))
        except Exception:  # a dev tool still answers with a page, never a traceback
            logger.exception("dev IdP error")
            return self._respond(start_response, HTTPStatus.BAD_REQUEST,
                                 _page("<h1>Bad SAML request</h1><p>See the IdP's log.</p>"))

    def _respond(self, start_response: StartResponse, status: HTTPStatus, body: bytes,
                 content_type: str = "text/html; charset=utf-8") -> list[bytes]:
        start_response(f"{status.value} {status.phrase}", [
            ("Content-Type", content_type), ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"), ("X-Frame-Options", "DENY"),
            ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ])
        return [body]

    def _home(self, start_response: StartResponse) -> list[bytes]:
        rows = "".join(
            f"<tr><td>{html.escape(u.uid)}</td>"
            f"<td>{html.escape(', '.join(u.attributes.get('groups', [])))}</td></tr>"
            for u in self.directory.users.values()
        )
        body = (f"<h1>Development IdP</h1><p class=banner>For the demo and tests only.</p>"
                f"<p>Start sign-in from the portal. Users (password "
                f"<code>{html.escape(self.directory.password)}</code>):</p><table>{rows}</table>")
        return self._respond(start_response, HTTPStatus.OK, _page(body))

    def _login_form(self, start_response: StartResponse, query: dict[str, list[str]],
                    error: str = "", username: str = "") -> list[bytes]:
        saml_request = query.get("SAMLRequest", [""])[0]
        relay_state = query.get("RelayState", [""])[0]
        if not saml_request:
            return self._respond(start_response, HTTPStatus.BAD_REQUEST,
                                 _page("<h1>No SAML request</h1><p>Start at the portal.</p>"))
        self.idp.parse_authn_request(saml_request)  # refuse garbage before showing a form
        body = (
            "<h1>Sign in to the development IdP</h1>"
            "<p class=banner>Demo users only. Passwords are in demo_users.yaml.</p>"
            + (f"<p class=error role=alert>{html.escape(error)}</p>" if error else "")
            + '<form method="post" action="/sso/login">'
            f'<input type="hidden" name="SAMLRequest" value="{html.escape(saml_request)}">'
            f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
            f'<label>Username <input name="username" id="username" autofocus '
            f'value="{html.escape(username)}"></label>'
            '<label>Password <input name="password" id="password" type="password"></label>'
            '<button type="submit" id="idp-sign-in">Sign in</button></form>'
        )
        status = HTTPStatus.UNAUTHORIZED if error else HTTPStatus.OK
        return self._respond(start_response, status, _page(body))

    def _sign_in(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = parse_qs(environ["wsgi.input"].read(min(length, 1_000_000)).decode())
        username = form.get("username", [""])[0].strip()
        password = form.get("password", [""])[0]
        user = self.directory.users.get(username)
        if user is None or password != self.directory.password:
            return self._login_form(start_response, form, "Unknown user or wrong password.",
                                    username)
        request = self.idp.parse_authn_request(form["SAMLRequest"][0])
        saml_response = self.idp.response(user=user, in_response_to=request.id)
        relay_state = form.get("RelayState", [""])[0]
        logger.info("signed in %s for %s", user.uid, request.issuer)
        body = (
            "<h1>Signing you in…</h1>"
            f'<form method="post" action="{html.escape(request.acs_url)}" id="saml-post">'
            f'<input type="hidden" name="SAMLResponse" value="{html.escape(saml_response)}">'
            + (f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
               if relay_state else "")
            + '<noscript><button type="submit">Continue</button></noscript></form>'
            f"<script>{AUTO_POST}</script>"
        )
        return self._respond(start_response, HTTPStatus.OK, _page(body))


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.info("%s %s", self.address_string(), format % args)


def build_server(app: DevIdPApp, host: str, port: int) -> WSGIServer:
    """A threaded server; port 0 picks a free one (``server.server_address[1]``)."""
    return make_server(host, port, app, server_class=_ThreadingWSGIServer,
                       handler_class=_QuietHandler)
