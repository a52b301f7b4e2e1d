import time

from django.core.management.base import BaseCommand

from sharing.catalogue.services import search_vectors_refresh


class Command(BaseCommand):
    help = (
        "重建仪器检索索引 / Rebuild every instrument's search vector (run once after an upgrade "
        "that changes what the index holds; safe to run again or to interrupt)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size: int, **options):
        started = time.perf_counter()
        done = search_vectors_refresh(batch_size=batch_size)
        self.stdout.write(f"{done} instruments re-indexed in {time.perf_counter() - started:.1f} s")
