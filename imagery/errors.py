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


def unreadable(what: str, err: Exception) -> ImageryError:
    """One line for a raster that cannot be read. GDAL reports damaged pixel data (a compressed
    block that does not decode) only as "Read failed"; this says what it means."""
    text = str(err)
    if "Read failed" in text or "IReadBlock" in text:
        return ImageryError(
            f"{what}: the file is damaged (its pixel data cannot be decoded); "
            "download or export it again"
        )
    return ImageryError(f"{what}: {text}")
