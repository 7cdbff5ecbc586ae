"""API keys in SQLite, stored as SHA-256 hashes: the plaintext key is shown once, at creation.

A key looks like `bbt_<id>_<secret>`; the id is public (listing, revoking, logs), the secret is never stored.
Keys are high-entropy random tokens, so an unsalted fast hash is the standard choice (as for GitHub tokens);
a password hash would only slow down every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from bbt.errors import BBTError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    rate_limit_per_minute INTEGER
);
"""


@dataclass(frozen=True)
class KeyRecord:
    id: str
    name: str
    created_at: str
    revoked_at: str | None
    rate_limit_per_minute: int | None  # None = the service default

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def as_dict(self) -> dict:
        return asdict(self)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class KeyStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")  # why: `bbt keys revoke` may write while the service reads
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as e:
            raise BBTError(f"{self.path} is not a usable key database: {e}") from None

    def close(self) -> None:
        self._db.close()

    def create(self, name: str, rate_limit_per_minute: int | None = None) -> tuple[str, KeyRecord]:
        """A new key: returns (plaintext key, record). The plaintext is not recoverable later."""
        name = name.strip()
        if not name:
            raise BBTError("a key needs a non-empty name (who or what uses it)")
        if rate_limit_per_minute is not None and rate_limit_per_minute < 1:
            raise BBTError(f"rate limit must be at least 1 request/minute, got {rate_limit_per_minute}")
        for _ in range(5):  # why: ids are 32 random bits; a collision is rare but must not be an error
            key_id, secret = secrets.token_hex(4), secrets.token_urlsafe(24)
            plaintext = f"bbt_{key_id}_{secret}"
            rec = KeyRecord(key_id, name, _now(), None, rate_limit_per_minute)
            try:
                with self._lock:
                    self._db.execute("INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?)",
                                     (rec.id, rec.name, _hash(plaintext), rec.created_at, None, rate_limit_per_minute))
                return plaintext, rec
            except sqlite3.IntegrityError:
                continue
        raise BBTError(f"could not find a free key id in {self.path}")

    def list(self) -> list[KeyRecord]:
        with self._lock:
            rows = self._db.execute("SELECT id, name, created_at, revoked_at, rate_limit_per_minute FROM api_keys "
                                    "ORDER BY created_at, id").fetchall()
        return [KeyRecord(*r) for r in rows]

    def revoke(self, key_or_id: str) -> KeyRecord:
        """Revoke by id (or by the full key); revoking twice is an error that says so."""
        key_id = _id_of(key_or_id) or key_or_id.strip()
        with self._lock:
            row = self._db.execute("SELECT id, name, created_at, revoked_at, rate_limit_per_minute FROM api_keys "
                                   "WHERE id = ?", (key_id,)).fetchone()
            if row is None:
                raise BBTError(f"no key with id {key_id!r} in {self.path} (see `bbt keys list`)")
            if row[3] is not None:
                raise BBTError(f"key {key_id} was already revoked at {row[3]}")
            self._db.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", (_now(), key_id))
        return KeyRecord(row[0], row[1], row[2], _now(), row[4])

    def verify(self, plaintext: str) -> KeyRecord | None:
        """The key's record (revoked ones included: the caller says 'revoked'), or None for an unknown key."""
        key_id = _id_of(plaintext)
        if key_id is None:
            return None
        with self._lock:
            row = self._db.execute("SELECT id, name, created_at, revoked_at, rate_limit_per_minute, hash "
                                   "FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        if row is None or not hmac.compare_digest(row[5], _hash(plaintext)):
            return None
        return KeyRecord(*row[:5])


def _id_of(plaintext: str) -> str | None:
    parts = plaintext.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "bbt" or len(parts[1]) != 8:
        return None
    return parts[1]
