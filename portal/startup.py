"""Turning a configuration error into one line instead of a traceback."""

import sys

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
