"""The guardrails pages: the rules in force and their change, each version, the violators
report. Platform admins only (anyone else: 403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from guardrails.forms import GuardrailForm
from guardrails.models import GuardrailVersion
from guardrails.report import guardrail_violators, rules_described
from guardrails.rules import Guardrails
from guardrails.services import guardrails_change, guardrails_in_force
from portal.models import User


def _admin(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_catalog_admin:
        raise PermissionDenied("Only platform admins manage the guardrails.")
    return user


@login_required
@require_http_methods(["GET", "POST"])
def guardrail_current(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    in_force = guardrails_in_force()
    rules = in_force.rules if in_force is not None else Guardrails()
    form = GuardrailForm(request.POST if request.method == "POST" else None,
                         initial=GuardrailForm.initial_for(rules))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                version = guardrails_change(rules=form.rules(), reason=form.cleaned_data["reason"],
                                            actor=user, http_request=request)
            except IntegrityError:  # another admin saved a version at the same moment
                form.add_error(None, "Another platform admin saved the guardrails just now; "
                                     "check the version in force and save again.")
            else:
                found = len(guardrail_violators(in_force=guardrails_in_force()))
                breaches = "rule breach" if found == 1 else "rule breaches"
                messages.success(request, f"Guardrails version {version.number} is in force; "
                                          f"{found} {breaches} by existing environments.")
                return redirect("guardrails:guardrail_report")
        status = 400
    return render(request, "guardrails/current.html", {
        "form": form, "in_force": in_force, "rules": rules_described(rules),
        "versions": GuardrailVersion.objects.select_related("created_by")[:50],
    }, status=status)


@login_required
@require_GET
def guardrail_version(request: HttpRequest, number: int) -> HttpResponse:
    _admin(request)
    version = GuardrailVersion.objects.select_related("created_by").filter(number=number).first()
    if version is None:
        raise Http404("No such guardrails version.")
    in_force = guardrails_in_force()
    return render(request, "guardrails/version.html", {
        "version": version, "rules": rules_described(Guardrails.from_json(version.rules)),
        "current": in_force is not None and in_force.version == version.number,
    })


@login_required
@require_GET
def guardrail_report(request: HttpRequest) -> HttpResponse:
    _admin(request)
    in_force = guardrails_in_force()
    return render(request, "guardrails/report.html", {
        "in_force": in_force, "rows": guardrail_violators(in_force=in_force)})
