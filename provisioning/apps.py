from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "provisioning"

    def ready(self) -> None:
        # approvals, lower in the dependency chain, never imports provisioning: approved requests
        # reach provisioning through this registration, and day-2 requests are checked against
        # our environments through the resolver registered next to it.
        from approvals.links import environment_link_reader_register
        from approvals.services import (
            environment_resolver_register,
            hand_off_register,
            live_name_check_register,
        )
        from portal.audit_actions import audit_actions_register
        from provisioning.request_checks import environment_facts, environment_name_live
        from provisioning.selectors import request_environment_links
        from provisioning.services import environment_provision

        hand_off_register(environment_provision)
        environment_resolver_register(environment_facts)
        live_name_check_register(environment_name_live)
        # The audit trail's action filter lists these (portal/audit_actions.py);
        # environment.<verb> (stop, start) comes from lifecycle.py.
        audit_actions_register(
            "environment.available", "environment.aws_unreachable", "environment.created",
            "environment.failed", "environment.launch", "environment.launch_refused",
            "environment.out_of_band", "environment.provisioning", "environment.start",
            "environment.status_changed", "environment.stop", "environment.terminate",
            "environment.terminated", "environment.update", "environment.update_failed",
            "environment.update_refused",
            "environment.updated", "cost.actuals_fetched",
        )
        # The approver's page shows the project's metered spend beside the request.
        from approvals.spend import project_spend_register
        from provisioning.metering import project_month_to_date

        project_spend_register(project_month_to_date)
        # The menu's approver/project-view answers are worked out at sign-in, then kept.
        from django.contrib.auth.signals import user_logged_in

        from provisioning.menu_roles import menu_roles_at_sign_in

        user_logged_in.connect(menu_roles_at_sign_in, dispatch_uid="provisioning.menu_roles")
        environment_link_reader_register(request_environment_links)
        # Change requests are approved on a Service Catalog plan (provisioning/change_plans.py).
        from approvals.change_preview import (
            change_preview_reader_register,
            change_previews_reader_register,
            request_closed_register,
            request_opened_register,
        )
        from provisioning.change_plans import (
            plan_discard,
            plan_open,
            plan_preview,
            plan_previews,
        )

        change_preview_reader_register(plan_preview)
        change_previews_reader_register(plan_previews)
        request_opened_register(plan_open)
        request_closed_register(plan_discard)
        audit_actions_register(
            "change_plan.deleted", "change_plan.executed", "change_plan.failed",
            "change_plan.ready", "change_plan.requested", "change_plan.stale")
