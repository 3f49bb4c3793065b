"""Short, readable codes cut from a keyed hash."""

from django.utils.crypto import salted_hmac

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def keyed_code(salt: str, value: str, *, secret: str, length: int) -> str:
    """``length`` letters and digits of the HMAC-SHA256 of ``value``, keyed by ``secret`` and
    ``salt``: the same value always gives the same code, and nobody without the secret can tell
    which value gave it."""
    digest = salted_hmac(salt, value, secret=secret, algorithm="sha256").digest()
    number = int.from_bytes(digest, "big")
    letters = []
    for _ in range(length):
        number, index = divmod(number, len(ALPHABET))
        letters.append(ALPHABET[index])
    return "".join(letters)
