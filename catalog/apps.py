from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self) -> None:
        from portal.audit_actions import audit_actions_register

        # The audit trail's action filter lists these (portal/audit_actions.py).
        audit_actions_register(
            "catalog.parameter_override_cleared", "catalog.parameter_override_set",
            "catalog.price_set", "catalog.product_estimate_set", "catalog.product_updated",
            "catalog.storage_price_set", "catalog.sync_requested", "catalog.synced",
        )
