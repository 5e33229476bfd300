"""``manage.py fakeaws_fault``: make the fake AWS answer errors on demand (demo, manual tests)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fakeaws import faults


class Command(BaseCommand):
    help = ("Answer the next N matching fake AWS calls with an error, or fail the next stack: "
            "fakeaws_fault --service servicecatalog --operation DescribeRecord "
            "--code ThrottlingException --times 3 | fakeaws_fault --fail-next-stack 'message' "
            "| fakeaws_fault --service servicecatalog --operation ProvisionProduct "
            "--delay-seconds 4 "
            "| fakeaws_fault --clear")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", default="")
        parser.add_argument("--operation", default="")
        parser.add_argument("--code", default="")
        parser.add_argument("--status", type=int, default=400)
        parser.add_argument("--times", type=int, default=1)
        parser.add_argument("--account", default="")
        parser.add_argument("--message", default="")
        parser.add_argument("--fail-next-stack", default="", metavar="MESSAGE")
        parser.add_argument("--fail-next-notebook-start", default="", metavar="REASON")
        parser.add_argument("--delay-seconds", type=float, default=0.0,
                            help="answer the matching calls this many seconds late (no error)")
        parser.add_argument("--clear", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clear"]:
            faults.clear()
            self.stdout.write("All fault rules removed.")
            return
        if options["times"] < 1:
            raise CommandError("--times must be at least 1")
        if options["fail_next_stack"]:
            faults.fail_next_stack(message=options["fail_next_stack"],
                                   account=options["account"], times=options["times"])
            self.stdout.write("The next stack will fail.")
            return
        if options["fail_next_notebook_start"]:
            faults.fail_next_notebook_start(message=options["fail_next_notebook_start"],
                                            account=options["account"], times=options["times"])
            self.stdout.write("The next notebook start will fail.")
            return
        if options["delay_seconds"]:
            if not options["service"] or options["delay_seconds"] < 0:
                raise CommandError("--delay-seconds needs --service and a positive number")
            faults.delay_answer(service=options["service"], operation=options["operation"],
                                seconds=options["delay_seconds"], account=options["account"],
                                times=options["times"])
            self.stdout.write(f"{options['service']}.{options['operation'] or '*'} answers "
                              f"{options['delay_seconds']} s late {options['times']} time(s).")
            return
        if not options["service"] or not options["code"]:
            raise CommandError("--service and --code are required (or --fail-next-stack)")
        if not 400 <= options["status"] <= 599:
            raise CommandError("--status must be an HTTP error status (400-599)")
        faults.inject(service=options["service"], operation=options["operation"],
                      code=options["code"], status=options["status"], times=options["times"],
                      account=options["account"], message=options["message"])
        self.stdout.write(f"{options['service']}.{options['operation'] or '*'} answers "
                          f"{options['code']} {options['times']} time(s).")
