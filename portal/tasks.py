from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "beat:last"


@shared_task
def ping() -> str:
    return "pong"


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Beat's proof of life, read by /healthz."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=600)
