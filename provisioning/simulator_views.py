"""The simulator's stand-in for a Jupyter or Studio page, opened by its "presigned URL".

It answers only to a token the simulator signed with the portal's secret key that has not expired
(five minutes for notebooks, ``ExpiresInSeconds`` for Studio); anything else is a 403. Like a real
presigned URL it needs no portal session: the token is the credential.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from provisioning.backends.simulator import launch_token_read
from provisioning.models import SimulatedNotebook


def _refused(request: HttpRequest) -> HttpResponse:
    response = render(request, "provisioning/simulator_refused.html", status=403)
    response["Cache-Control"] = "no-store"
    return response


def _page(request: HttpRequest, context: dict[str, object]) -> HttpResponse:
    response = render(request, "provisioning/simulator_app.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def simulator_notebook(request: HttpRequest, name: str) -> HttpResponse:
    payload = launch_token_read(request.GET.get("token", ""))
    if payload is None or payload.get("kind") != "notebook" or payload.get("name") != name:
        return _refused(request)
    notebook = SimulatedNotebook.objects.filter(
        aws_account_id=payload.get("account"), aws_region=payload.get("region"), name=name,
        deleted=False,
    ).first()
    if notebook is None:
        return _refused(request)
    return _page(request, {"kind": "Jupyter notebook instance", "name": name,
                           "status": notebook.status, "session": payload.get("session")})


@require_GET
def simulator_studio(request: HttpRequest, domain_id: str, profile: str) -> HttpResponse:
    payload = launch_token_read(request.GET.get("token", ""))
    if (payload is None or payload.get("kind") != "studio" or payload.get("name") != profile
            or payload.get("domain") != domain_id):
        return _refused(request)
    return _page(request, {"kind": "SageMaker Studio", "name": f"{domain_id} / {profile}",
                           "status": "InService", "session": payload.get("session")})
