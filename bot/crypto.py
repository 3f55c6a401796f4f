"""Free text at rest: Fernet encryption with a key from the environment or the data folder."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)

KEY_FILE_NAME = "encryption.key"


class TextCipher:
    """Encrypts and decrypts short texts (notes, shares, questions)."""

    def __init__(self, key: str | bytes) -> None:
        self._fernet = Fernet(key)

    def encrypt(self, text: str) -> bytes:
        """Encrypt a text for storage."""
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, token: bytes | None) -> str | None:
        """Decrypt a stored text; None stays None, an unreadable token gives a placeholder."""
        if token is None:
            return None
        try:
            return self._fernet.decrypt(bytes(token)).decode("utf-8")
        except InvalidToken:
            return "[unreadable: encrypted with another key]"


def load_cipher(settings: Settings) -> TextCipher:
    """The cipher from ENCRYPTION_KEY, or a key file created in the data folder for SQLite."""
    if settings.encryption_key:
        try:
            return TextCipher(settings.encryption_key)
        except ValueError:
            raise SettingsError(
                "ENCRYPTION_KEY must be a Fernet key (32 url-safe base64 bytes); "
                "make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from None
    if not settings.is_sqlite:
        raise SettingsError("ENCRYPTION_KEY must be set when DATABASE_URL is not SQLite")
    path = Path(settings.data_dir) / KEY_FILE_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
        log.warning(
            "ENCRYPTION_KEY is not set: created a new key in %s (owner-only). Back it up; "
            "without it, stored notes cannot be read.",
            path,
        )
    return TextCipher(path.read_bytes().strip())
