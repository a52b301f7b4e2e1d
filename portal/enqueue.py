"""Enqueue a task once the transaction commits, without letting a broker outage turn the
request that asked for it into a 500: the row that records the work is committed already,
and a sweep (recover_imports, resend_unsent) picks up what the broker did not take."""

from django.db import transaction


def enqueue_on_commit(task, *args) -> None:
    def enqueue() -> None:
        task.delay(*args)

    # Django logs a failed robust callback by its __qualname__: name the task in it.
    enqueue.__qualname__ = f"enqueue_on_commit({task.name})"
    transaction.on_commit(enqueue, robust=True)
