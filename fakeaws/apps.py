from django.apps import AppConfig


class FakeAwsConfig(AppConfig):
    """A stand-in for AWS behind botocore (demo and tests); not part of the portal's app chain."""

    name = "fakeaws"
    verbose_name = "Fake AWS"
    default_auto_field = "django.db.models.BigAutoField"
