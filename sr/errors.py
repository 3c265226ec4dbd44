"""Exceptions of super-resolution with messages a user can act on."""

from imagery.errors import UserError


class EnhanceError(UserError):
    """An enhancement cannot be run as asked: unknown pipeline or preset, bad scale or bands,
    missing or damaged weights."""


class NotCached(EnhanceError):
    """A result asked for from the cache only is not there."""
