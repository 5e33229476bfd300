from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "provisioning"

    def ready(self) -> None:
        # Approved requests reach provisioning through this one registration (approvals, lower in
        # the dependency chain, never imports provisioning).
        from approvals.services import hand_off_register
        from provisioning.services import environment_provision

        hand_off_register(environment_provision)
