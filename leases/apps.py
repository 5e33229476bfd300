from django.apps import AppConfig


class LeasesConfig(AppConfig):
    name = "leases"

    def ready(self) -> None:
        # Everything below leases reaches it through registrations: approved extend requests
        # (approvals' hand-off), new environments and the environment page (provisioning.hooks),
        # the auto-stop panels of the request form, the product and the environment pages.
        from approvals.services import hand_off_register
        from leases.autostop_pages import autostop_environment_panel, autostop_rules_panel
        from leases.services import lease_extend_apply, lease_open, lease_page_notes
        from portal.audit_actions import audit_actions_register
        from portal.panels import panel_register
        from provisioning.hooks import environment_created_register, environment_notes_register

        audit_actions_register("lease.paused", "lease.resumed", "lease.shortened")
        hand_off_register(lease_extend_apply)
        environment_created_register(lease_open)
        environment_notes_register(lease_page_notes)
        panel_register("request_form", autostop_rules_panel)
        panel_register("product_detail", autostop_rules_panel)
        panel_register("environment_detail", autostop_environment_panel)
        audit_actions_register("autostop.opted_out", "autostop.opted_in",
                               *(f"stoppolicy.{change}"
                                 for change in ("created", "changed", "deleted")))
