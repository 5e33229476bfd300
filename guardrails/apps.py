from django.apps import AppConfig


class GuardrailsConfig(AppConfig):
    name = "guardrails"

    def ready(self) -> None:
        # catalog, approvals and provisioning, below guardrails in the chain, never import it:
        # the checks reach them through these registrations.
        from approvals.services import request_check_register
        from catalog.leases import lease_cap_register
        from catalog.narrowing import parameter_narrowing_register
        from guardrails.checks import (
            environment_guardrail_check,
            form_guardrail_narrowing,
            lease_guardrail_cap,
            request_guardrail_check,
        )
        from portal.audit_actions import audit_actions_register
        from provisioning.guards import environment_check_register

        request_check_register(request_guardrail_check)
        environment_check_register(environment_guardrail_check)
        parameter_narrowing_register(form_guardrail_narrowing)
        lease_cap_register(lease_guardrail_cap)
        audit_actions_register("guardrails.changed")
