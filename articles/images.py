"""Uploaded images: checked with Pillow, then resized into WebP copies for ``srcset``.

Files go through Django's storage API (``STORAGES["default"]``): the filesystem under MEDIA_ROOT
by default, an S3 bucket or any other backend by configuration.
"""

from io import BytesIO
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext
from PIL import Image as PillowImage
from PIL import ImageOps, UnidentifiedImageError

LANCZOS = PillowImage.Resampling.LANCZOS

MAX_BYTES = 15 * 1024 * 1024
# Decoded, an image takes about 4 bytes a pixel: 40 megapixels is 160 MB of memory at most.
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
# The widths of the copies made for srcset: those narrower than the original, and one as wide as
# the original (up to the last of these).
RENDITION_WIDTHS = (480, 960, 1600, 2400)


def validate_image_file(upload) -> None:
    """Refuse anything but a real JPEG, PNG, GIF or WebP image within the size and pixel limits.

    SVG is refused whatever its name says: it can carry script.
    """
    if upload.size > MAX_BYTES:
        raise ValidationError(
            gettext("The file is too large: at most %(mb)d MB.") % {"mb": MAX_BYTES // 2**20},
            code="image_too_large",
        )
    upload.seek(0)
    head = upload.read(512).lstrip().lower()
    upload.seek(0)
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        raise ValidationError(gettext("SVG images are not accepted."), code="image_svg")
    try:
        with PillowImage.open(upload) as image:
            image_format = image.format
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    gettext("The image has too many pixels: at most %(mp)d megapixels.")
                    % {"mp": MAX_PIXELS // 1_000_000},
                    code="image_too_many_pixels",
                )
            image.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, PillowImage.DecompressionBombError) as e:
        raise ValidationError(
            gettext("The file is not an image this site can show (JPEG, PNG, GIF or WebP)."),
            code="image_invalid",
        ) from e
    finally:
        upload.seek(0)
    if image_format not in ACCEPTED_FORMATS:
        raise ValidationError(
            gettext("The file is not an image this site can show (JPEG, PNG, GIF or WebP)."),
            code="image_invalid",
        )


def make_renditions(name: str, *, storage=default_storage) -> tuple[dict[str, str], int, int]:
    """Save WebP copies of the stored image ``name``; return them by width, and their full size.

    Pages show only these copies: they are turned upright as the camera's EXIF says, and carry
    none of its metadata (a phone photo's EXIF can hold where it was taken). The original stays
    in storage, linked from nowhere but the admin; but its address can be guessed from its
    copies' names and MEDIA_ROOT is served whole, so it is rewritten without its metadata too.
    """
    stem = PurePosixPath(name)
    renditions: dict[str, str] = {}
    with storage.open(name, "rb") as stored, PillowImage.open(stored) as original:
        original.load()
        image_format = original.format
        upright = ImageOps.exif_transpose(original)
        image = upright.convert("RGBA" if upright.mode in ("RGBA", "LA", "P") else "RGB")
    _strip_metadata(name, upright, image_format, storage=storage)
    widths = [width for width in RENDITION_WIDTHS if width < image.width]
    widths.append(min(image.width, RENDITION_WIDTHS[-1]))
    for width in widths:
        height = max(1, round(image.height * width / image.width))
        copy = image if width == image.width else image.resize((width, height), LANCZOS)
        out = BytesIO()
        copy.save(out, "WEBP", quality=80, method=4)
        saved = storage.save(
            str(stem.with_name(f"{stem.stem}-{width}.webp")), ContentFile(out.getvalue())
        )
        renditions[str(width)] = saved
    return renditions, image.width, image.height


def _strip_metadata(name: str, upright: PillowImage.Image, image_format: str, *, storage) -> None:
    """Store the original again, upright, under the same name, with no EXIF, XMP or comments
    (Pillow writes metadata only when asked to)."""
    out = BytesIO()
    options = {"quality": 95} if image_format == "JPEG" else {}
    if image_format == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    upright.save(out, image_format, **options)
    storage.delete(name)
    saved = storage.save(name, ContentFile(out.getvalue()))
    if saved != name:  # another file took the name meanwhile: never link the stripped copy wrong
        storage.delete(saved)
        raise OSError(f"could not store {name} again without its metadata")


def delete_files(name: str, renditions: dict[str, str], *, storage=default_storage) -> None:
    """Delete the stored original and its copies."""
    for stored in (name, *renditions.values()):
        if stored:
            storage.delete(stored)
