"""Reading settings from the environment, failing with one line that names the variable."""

import os
from decimal import Decimal, InvalidOperation

import environ


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and what to do."""


_env = environ.Env()

DATABASE_SCHEMES = {"postgis", "postgres", "postgresql", "pgsql"}


def text(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ConfigError(f"{name} is not set; it is required when DEBUG is off")
        if default is None:
            raise ConfigError(f"{name} is not set")
        return default
    return value


def boolean(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; use true or false")


def integer(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None


def decimal(name: str, default: str) -> Decimal:
    raw = os.environ.get(name) or default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not value.is_finite():
        raise ConfigError(f"{name}={raw!r} is not a number")
    return value


def listing(name: str, default: list[str], *, required: bool = False) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        if required:
            raise ConfigError(f"{name} is not set; it is required when DEBUG is off")
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database(name: str, default: str, *, required: bool = False) -> dict:
    return database_config(name, text(name, default, required=required))


def databases(name: str) -> list[dict]:
    """A comma-separated list of PostgreSQL URLs (the read replicas), empty when unset."""
    return [database_config(name, url) for url in listing(name, [])]


def database_config(name: str, url: str) -> dict:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in DATABASE_SCHEMES:
        raise ConfigError(
            f"{name} must be a PostgreSQL URL like postgis://user:password@host:5432/name"
        )
    try:
        config = _env.db_url_config(url.replace(f"{scheme}://", "postgis://", 1))
    except Exception as exc:
        raise ConfigError(f"{name} cannot be read: {exc}") from None
    if not config.get("NAME"):
        raise ConfigError(f"{name} names no database; end it with /database_name")
    if config.get("PORT") not in ("", None) and not str(config["PORT"]).isdigit():
        raise ConfigError(f"{name} has a port that is not a number")
    return config


def redis_url(name: str, default: str, *, required: bool = False) -> str:
    url = text(name, default, required=required)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"{name} must be a Redis URL like redis://127.0.0.1:6379/0")
    return url
