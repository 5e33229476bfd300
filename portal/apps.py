from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "People, projects and audit"

    def ready(self) -> None:
        from portal import checks, signals  # noqa: F401  (registers the checks, connects receivers)
