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
        from provisioning.request_checks import environment_facts, environment_name_live
        from provisioning.selectors import request_environment_links
        from provisioning.services import environment_provision

        hand_off_register(environment_provision)
        environment_resolver_register(environment_facts)
        live_name_check_register(environment_name_live)
        environment_link_reader_register(request_environment_links)
