from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.loader import demo_load


class Command(BaseCommand):
    help = "载入演示数据（地区、真实地点、各角色演示账号）/ Load the demo data; idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off (demo passwords!)"
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="set every demo account's password to DEMO_PASSWORD again",
        )

    def handle(self, *args, force: bool = False, reset_passwords: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: demo accounts share one known password. Use --force to load anyway."
            )
        counts = demo_load(reset_passwords=reset_passwords)
        self.stdout.write(
            self.style.SUCCESS(
                "演示数据已就绪 / demo data ready: "
                + ", ".join(f"{name} {count}" for name, count in counts.items())
            )
        )
