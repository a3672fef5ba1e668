"""Who made a change, for django-simple-history: only real users (admin), never API clients."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser


def history_user(request: Any = None, **kwargs: Any) -> Any:
    """The admin user behind a change; an API client (not a User) is not recorded."""
    user = getattr(request, "user", None)
    return user if isinstance(user, AbstractBaseUser) else None
