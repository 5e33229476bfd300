from django.apps import AppConfig


class LeasesConfig(AppConfig):
    name = "leases"

    def ready(self) -> None:
        # Everything below leases reaches it through registrations: approved extend requests
        # (approvals' hand-off), new environments and the environment page (provisioning.hooks).
        from approvals.services import hand_off_register
        from leases.services import lease_extend_apply, lease_open, lease_page_notes
        from portal.audit_actions import audit_actions_register
        from provisioning.hooks import environment_created_register, environment_notes_register

        audit_actions_register("lease.paused", "lease.resumed", "lease.shortened")
        hand_off_register(lease_extend_apply)
        environment_created_register(lease_open)
        environment_notes_register(lease_page_notes)
