"""The policy pack's page, JSON downloads and API (platform admins only; anyone else gets 404)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.models import User
from portal.policy_pack import (
    PolicyDocument,
    PolicyPackUnavailable,
    policy_pack_downloaded,
    policy_pack_for_user,
)


def _documents(user: User) -> list[PolicyDocument]:
    documents = policy_pack_for_user(user=user)
    if documents is None:
        raise Http404("No such page.")
    return documents


def _named(documents: list[PolicyDocument], name: str) -> PolicyDocument:
    found = next((d for d in documents if d.name == name), None)
    if found is None:
        raise Http404("No such document.")
    return found


@login_required
@require_GET
def policy_pack_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        documents = _documents(user)
    except PolicyPackUnavailable as exc:
        return render(request, "portal/policy_pack.html", {"unavailable": str(exc)}, status=409)
    rows = [{"document": d, "size": len(d.json_text())} for d in documents]
    return render(request, "portal/policy_pack.html", {"rows": rows})


@login_required
@require_GET
def policy_pack_download(request: HttpRequest, name: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        document = _named(_documents(user), name)
    except PolicyPackUnavailable as exc:
        return render(request, "portal/policy_pack.html", {"unavailable": str(exc)}, status=409)
    policy_pack_downloaded(user=user, documents=[document], request=request)
    response = HttpResponse(document.json_text(), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{document.name}.json"'
    return response


class PolicyDocumentOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    kind = serializers.CharField(help_text="scp, trust, permissions, queue, bus or event-pattern")
    title = serializers.CharField()
    project = serializers.CharField(source="project.slug", allow_null=True, default=None)
    document = serializers.SerializerMethodField()

    def get_document(self, obj: PolicyDocument) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(obj.json_text())
        return loaded


def _api_documents(request: Request) -> list[PolicyDocument]:
    user: User = request.user  # type: ignore[assignment]
    try:
        documents = policy_pack_for_user(user=user)
    except PolicyPackUnavailable as exc:
        raise serializers.ValidationError({"detail": str(exc)}) from None
    if documents is None:
        raise NotFound()
    return documents


class PolicyPackView(APIView):
    @extend_schema(operation_id="policy_pack_list", responses=inline_serializer("PolicyPack", {
        "documents": PolicyDocumentOutput(many=True)}),
        summary="Every IAM/SCP document of the AWS-side policy pack (platform admins)")
    def get(self, request: Request) -> Response:
        documents = _api_documents(request)
        policy_pack_downloaded(user=request.user, documents=documents,  # type: ignore[arg-type]
                               request=request._request)
        return Response({"documents": PolicyDocumentOutput(documents, many=True).data})


class PolicyDocumentView(APIView):
    @extend_schema(operation_id="policy_pack_document", responses=PolicyDocumentOutput,
                   summary="One document of the AWS-side policy pack (platform admins)")
    def get(self, request: Request, name: str) -> Response:
        documents = _api_documents(request)
        found = next((d for d in documents if d.name == name), None)
        if found is None:
            raise NotFound()
        policy_pack_downloaded(user=request.user, documents=[found],  # type: ignore[arg-type]
                               request=request._request)
        return Response(PolicyDocumentOutput(found).data)
