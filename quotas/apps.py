from django.apps import AppConfig


class QuotasConfig(AppConfig):
    name = "quotas"

    def ready(self) -> None:
        # approvals and provisioning, below quotas in the dependency chain, never import it:
        # the checks reach them through these registrations.
        from approvals.services import request_check_register, request_review_register
        from approvals.spend import project_forecast_register
        from portal.audit_actions import audit_actions_register
        from portal.panels import panel_register
        from provisioning.guards import environment_check_register
        from quotas.budgets import (
            project_forecast_total,
            request_budget_check,
            request_budget_review,
        )
        from quotas.checks import environment_quota_check, request_quota_check
        from quotas.panels import quota_panel

        request_check_register(request_quota_check)
        request_check_register(request_budget_check)
        request_review_register(request_budget_review)
        project_forecast_register(project_forecast_total)
        environment_check_register(environment_quota_check)
        panel_register("dashboard", quota_panel)
        panel_register("request_form", quota_panel)
        # The audit trail's action filter lists these (the audited admin pages of quotas/admin.py).
        audit_actions_register(*(f"{model}.{change}" for model in ("userquota", "projectquota")
                                 for change in ("created", "changed", "deleted")))
        audit_actions_register("budget.threshold_notified")
