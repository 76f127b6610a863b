"""How a command gets the one settings object: made once per ``atelier`` invocation (by the
top-level group, or by the first command that asks when a group is invoked on its own) and
handed to the command as its first argument."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

import click

from atelier.config import RepoNotFoundError, Settings, SettingsError

P = ParamSpec("P")
R = TypeVar("R")


def load_settings() -> Settings:
    """``Settings()``, with a missing checkout or a wrong value as a one-line command error."""
    try:
        return Settings()
    except (RepoNotFoundError, SettingsError) as exc:
        raise click.ClickException(str(exc)) from None


def current_settings() -> Settings:
    """The invocation's settings: the object a caller passed (``obj=``) or the group made, else
    made now and kept on the root context for the rest of the invocation."""
    ctx = click.get_current_context()
    found = ctx.find_object(Settings)
    if found is None:
        found = load_settings()
        root = ctx.find_root()
        if root.obj is None:
            root.obj = found
    return found


def pass_settings(f: Callable[Concatenate[Settings, P], R]) -> Callable[P, R]:
    """Decorator: call the command with the invocation's :class:`Settings` first."""

    @functools.wraps(f)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return f(current_settings(), *args, **kwargs)

    return wrapper


__all__ = ["current_settings", "load_settings", "pass_settings"]
