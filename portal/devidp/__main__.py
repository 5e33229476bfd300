"""``python -m portal.devidp serve``: run the development SAML IdP beside the portal."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from portal.devidp.idp import DevIdP, UserDirectory
from portal.devidp.server import DevIdPApp, build_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m portal.devidp")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the dev IdP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--public-url", default="", help="defaults to http://localhost:PORT")
    serve.add_argument("--portal-url", default="http://localhost:8000")
    serve.add_argument("--sp-entity-id", default="urn:ml-portal:sp")
    serve.add_argument("--users", type=Path, default=Path(__file__).with_name("demo_users.yaml"))
    serve.add_argument("--state-dir", type=Path, default=Path("var/devidp"))
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s devidp %(message)s")
    public_url = args.public_url or f"http://localhost:{args.port}"
    idp = DevIdP(
        base_url=public_url,
        state_dir=args.state_dir,
        sp_entity_id=args.sp_entity_id,
        sp_acs_url=f"{args.portal_url.rstrip('/')}/accounts/saml/sso/acs/",
    )
    server = build_server(DevIdPApp(idp, UserDirectory.load(args.users)), args.host, args.port)
    logging.info("dev IdP at %s (entity id %s, certificate %s)", public_url, idp.entity_id,
                 idp.cert_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
