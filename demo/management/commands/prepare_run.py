import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from demo.prepare import Step, prepare_run

COMMANDS = {
    "migrate": lambda: call_command("migrate", interactive=False, verbosity=0),
    "demo": lambda: call_command("load_demo"),
    "map": lambda: call_command("build_map"),
}


class Command(BaseCommand):
    help = (
        "启动前准备：仅在需要时迁移、载入演示数据、生成布局地图 / "
        "Before `make run` starts: migrate, load the demo, build the map, each only when needed."
    )
    # The system checks import every view (the URL checks), seconds of a start that used to be
    # paid three times; `make test` runs them (makemigrations --check), and CI with it.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="migrations only, no demo")
        parser.add_argument("--no-map", action="store_true", help="do not build the layout map")

    def handle(self, *args, no_demo: bool = False, no_map: bool = False, **options):
        def say(step: Step) -> None:
            what = step.reason if step.needed else f"skipped ({step.reason})"
            self.stdout.write(f"[prepare] {step.name}: {what}")

        def run(name: str) -> None:
            started = time.perf_counter()
            COMMANDS[name]()
            self.stdout.write(f"[prepare] {name}: done in {time.perf_counter() - started:.1f} s")

        prepare_run(demo=not no_demo, layout_map=not no_map, run=run, say=say)
