from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"

    def ready(self) -> None:
        # ``<reference:…>`` in the page and API routes (REQ-1042), registered once for both.
        from django.urls import register_converter

        from approvals.models import ReferenceConverter

        register_converter(ReferenceConverter, "reference")
