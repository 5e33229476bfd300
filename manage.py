#!/usr/bin/env python
"""Django's command-line utility. Contributors without a deployment's environment run it with
``DEBUG=true`` (or ``make manage ARGS="..."``, which does that)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - reading a setting imports the settings module
    except ImproperlyConfigured as exc:
        # One line that says what to set, not a traceback through the settings module.
        sys.exit(f"manage.py: {exc}. For development run it with DEBUG=true "
                 "(or `make manage ARGS=...`); see the README's configuration table.")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
