"""Typed readers for environment variables.

Every setting Comptoir reads from the environment goes through one of these
helpers so that a bad value stops start-up with a message naming the variable,
instead of surfacing later as a confusing error. Each variable is documented in
docs/configuration.md.

A variable may also come from a local settings file of NAME=value lines
(read_env_file; `make run` writes var/local.env in a development checkout).
A variable set in the environment always wins over the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

# What the local settings file says, when there is one: below the environment.
_from_file: dict[str, str] = {}


def read_env_file(path: Path) -> bool:
    """Take NAME=value lines from ``path`` when it exists; returns whether it did.

    Blank lines and lines starting with # are skipped; a value may be quoted
    ('...' or "..."), and an "export " before the name is allowed, so the file
    can also be sourced by a shell. Anything else stops start-up.
    """
    _from_file.clear()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        name = name.removeprefix("export ").strip()
        if not equals or not name.isidentifier():
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=value, got {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        _from_file[name] = value
    return True


def _raw(name: str) -> str | None:
    value = os.environ.get(name, _from_file.get(name))
    return None if value is None else value.strip()


def env_prefixed(prefix: str) -> dict[str, str]:
    """Every variable whose name starts with ``prefix``, by name without it (the environment winning)."""
    names = {name for name in (*_from_file, *os.environ) if name.startswith(prefix)}
    return {name.removeprefix(prefix): value for name in sorted(names) if (value := _raw(name)) is not None}


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, default: str) -> str:
    """An absolute http(s) URL without a trailing slash."""
    value = env_str(name, default)
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ImproperlyConfigured(f"{name} must be an absolute http(s) URL; got {value!r}")
    if parts.query or parts.fragment:
        raise ImproperlyConfigured(f"{name} must not carry a query or fragment; got {value!r}")
    return value.rstrip("/")


def env_email(name: str, default: str) -> str:
    value = env_str(name, default)
    local, _, domain = value.rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in value):
        raise ImproperlyConfigured(f"{name} must be an e-mail address; got {value!r}")
    return value
