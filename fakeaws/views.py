"""The fake's stand-in for a Jupyter or Studio page, opened by its presigned URL.

It answers only to an unexpired token the fake signed with the secret key (5 minutes for
notebook URLs, ``ExpiresInSeconds`` for Studio); anything else is a 403. Like a real presigned URL
it needs no portal session: the token is the credential, so it is never logged and the answer
is neither cached nor sent on as a referrer.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fakeaws.models import NotebookInstance, UserProfile
from fakeaws.services.sagemaker import launch_token_read, notebook_settle


def _answer(request: HttpRequest, template: str, context: dict[str, object], status: int
            ) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _refused(request: HttpRequest) -> HttpResponse:
    return _answer(request, "fakeaws/refused.html", {}, 403)


@require_GET
def notebook_page(request: HttpRequest, region: str, name: str) -> HttpResponse:
    payload = launch_token_read(request.GET.get("authToken", ""))
    if (payload is None or payload.get("kind") != "notebook" or payload.get("name") != name
            or payload.get("region") != region):
        return _refused(request)
    notebook = NotebookInstance.objects.filter(account=payload.get("account"), region=region,
                                               name=name).first()
    notebook = notebook_settle(notebook) if notebook is not None else None
    if notebook is None:
        return _refused(request)
    return _answer(request, "fakeaws/app.html",
                   {"kind": "Jupyter notebook instance", "name": name,
                    "status": notebook.status, "session": payload.get("session")}, 200)


@require_GET
def studio_page(request: HttpRequest, region: str, domain_id: str, profile: str) -> HttpResponse:
    payload = launch_token_read(request.GET.get("authToken", ""))
    if (payload is None or payload.get("kind") != "studio" or payload.get("name") != profile
            or payload.get("domain") != domain_id or payload.get("region") != region):
        return _refused(request)
    found = UserProfile.objects.filter(domain__domain_id=domain_id, name=profile,
                                       domain__account=payload.get("account")).first()
    if found is None:
        return _refused(request)
    return _answer(request, "fakeaws/app.html",
                   {"kind": "SageMaker Studio", "name": f"{domain_id} / {profile}",
                    "status": found.status, "session": payload.get("session")}, 200)
