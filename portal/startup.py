"""Turning a configuration error into one line instead of a traceback."""

import sys
import threading

from portal.env import ConfigError


def fail(message: str) -> None:
    sys.stderr.write(f"配置错误 / configuration error: {message}\n")
    sys.exit(2)


def guarded(load):
    """Run load(); a ConfigError or an unreachable database ends the process with one line."""
    try:
        return load()
    except ConfigError as exc:
        fail(str(exc))
    except Exception as exc:
        from django.db.utils import OperationalError

        if isinstance(exc, OperationalError):
            from django.conf import settings

            db = settings.DATABASES["default"]
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            fail(
                f"cannot reach the database named by DATABASE_URL "
                f"({db.get('HOST') or 'socket'}:{db.get('PORT') or 5432}/{db.get('NAME')}): "
                f"{reason}"
            )
        raise


# What each web worker (and the Celery worker, before it forks) runs once at boot, registered
# by the apps (a layer below may not import the apps above it, so they come to the portal
# rather than the portal to them).
_web_boot: list = []


def on_web_boot(callback) -> None:
    if callback not in _web_boot:
        _web_boot.append(callback)


def web_boot(*, background: bool = True) -> None:
    """Run the registered callbacks, by default in a thread of their own: they make the first
    requests fast (jieba's dictionary: ~1.5 s quiet, several seconds on a loaded machine) but
    nothing depends on them, so the worker answers /healthz and other pages meanwhile instead of
    after them. A request that needs the dictionary early waits on jieba's own lock, as it
    would have without the warm-up."""
    if not background:
        for callback in _web_boot:
            callback()
        return
    threading.Thread(
        target=web_boot, kwargs={"background": False}, name="web-boot", daemon=True
    ).start()
