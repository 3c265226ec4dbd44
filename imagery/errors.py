"""Exceptions with messages a user can act on; pages show them, the CLI prints them."""


class ImageryError(Exception):
    """Imagery cannot be found, opened or understood."""


class AreaError(ImageryError):
    """The requested area is empty, outside the scene or larger than allowed."""


class CatalogError(ImageryError):
    """A scene catalogue cannot be searched (unreachable server, bad answer)."""
