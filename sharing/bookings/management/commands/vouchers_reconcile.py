"""manage.py vouchers_reconcile: every voucher's buckets and balance recomputed from its
ledger, every settlement request's total from its lines. One line per difference; exit status
1 when anything disagrees, 0 otherwise."""

import sys

from django.core.management.base import BaseCommand

from sharing.bookings.vouchers.ledger import ledger_differences


class Command(BaseCommand):
    help = "Recompute voucher balances and settlement totals from the ledger."

    def handle(self, *args, **options):
        differences = ledger_differences()
        for line in differences:
            self.stdout.write(line)
        if differences:
            self.stderr.write(f"{len(differences)} difference(s) between columns and ledger")
            sys.exit(1)
        self.stdout.write("vouchers: columns and ledger agree")
