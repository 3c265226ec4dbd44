"""Exceptions with messages a user can act on; pages show them, the CLI prints them."""


class UserError(Exception):
    """The common base: something the user supplied or asked for cannot be done, and the message
    says what to do instead. Pages catch it (and ``labels.features.LabelError``)."""


class ImageryError(UserError):
    """Imagery cannot be found, opened or understood."""


class AreaError(ImageryError):
    """The requested area is empty, outside the scene or larger than allowed."""


class CatalogError(ImageryError):
    """A scene catalogue cannot be searched (unreachable server, bad answer)."""
