"""Who may see the parent page: the password file, sessions with CSRF tokens, login rate limiting.

- The password is stored as an argon2id hash (``argon2-cffi``) in ``parent-password`` in the state
  directory (next to the history database), 0600. ``teddy parent set-password`` writes it.
- A login creates a session: a random cookie value (HttpOnly, SameSite=Strict, Secure over TLS)
  and a CSRF token that every POST/PUT/DELETE must send (form field ``csrf`` or header
  ``X-CSRF-Token``). Sessions live in memory: a restart logs the parent out.
- Failed logins are counted per client address; after :data:`FREE_FAILURES` each further failure
  doubles the wait (up to :data:`MAX_LOCKOUT_S`) before that address may try again.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PASSWORD_FILE = "parent-password"
MIN_LENGTH = 8
MAX_LENGTH = 1024
SESSION_TTL_S = 12 * 3600.0
FREE_FAILURES = 3
MAX_LOCKOUT_S = 15 * 60.0

Clock = Callable[[], float]


class PasswordError(ValueError):
    """The password cannot be used (too short, too long, empty, mismatched)."""


def password_path_for(history_db: Path) -> Path:
    return history_db.with_name(PASSWORD_FILE)


def check_new_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordError(
            f"password too short: {len(password)} characters; use at least {MIN_LENGTH}"
        )
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"password too long: use at most {MAX_LENGTH} characters")


class PasswordFile:
    """The argon2 hash on disk; re-read on each check so ``set-password`` works without restart."""

    def __init__(self, path: Path, hasher: PasswordHasher | None = None) -> None:
        self.path = path
        self._hasher = hasher or PasswordHasher()

    def is_set(self) -> bool:
        return self._read() is not None

    def _read(self) -> str | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return text or None

    def set(self, password: str) -> None:
        check_new_password(password)
        digest = self._hasher.hash(password)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(digest + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        if os.geteuid() == 0:
            # root setting it for the service (systemd DynamicUser): the file belongs to whoever
            # owns the state directory, or the daemon could not read it
            folder = self.path.parent.stat()
            os.chown(tmp, folder.st_uid, folder.st_gid)
        os.replace(tmp, self.path)

    def verify(self, password: str) -> bool:
        """Blocking (argon2 is deliberately slow): call it in a thread."""
        digest = self._read()
        if digest is None or len(password) > MAX_LENGTH:
            return False
        try:
            return bool(self._hasher.verify(digest, password))
        except (VerificationError, InvalidHashError):
            return False


@dataclass
class Session:
    csrf: str
    expires: float


@dataclass
class Sessions:
    """Session id → CSRF token and expiry (in memory)."""

    ttl_s: float = SESSION_TTL_S
    clock: Clock = time.monotonic
    _by_id: dict[str, Session] = field(default_factory=dict)

    def create(self) -> tuple[str, Session]:
        self._expire()
        sid = secrets.token_urlsafe(32)
        session = Session(secrets.token_urlsafe(32), self.clock() + self.ttl_s)
        self._by_id[sid] = session
        return sid, session

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        session = self._by_id.get(sid)
        if session is None or session.expires < self.clock():
            self._by_id.pop(sid, None)
            return None
        return session

    def drop(self, sid: str | None) -> None:
        if sid:
            self._by_id.pop(sid, None)

    def clear(self) -> None:
        """A new password logs every session out."""
        self._by_id.clear()

    def _expire(self) -> None:
        now = self.clock()
        for sid in [s for s, v in self._by_id.items() if v.expires < now]:
            del self._by_id[sid]


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


@dataclass
class LoginLimiter:
    """Per-address backoff: ``FREE_FAILURES`` free tries, then 1 s, 2 s, 4 s ... between tries."""

    free: int = FREE_FAILURES
    max_wait_s: float = MAX_LOCKOUT_S
    clock: Clock = time.monotonic
    _by_addr: dict[str, _Failures] = field(default_factory=dict)

    def wait_s(self, addr: str) -> float:
        """Seconds ``addr`` must still wait before it may try (0 = may try now)."""
        entry = self._by_addr.get(addr)
        return max(0.0, entry.locked_until - self.clock()) if entry else 0.0

    def failed(self, addr: str) -> float:
        entry = self._by_addr.setdefault(addr, _Failures())
        entry.count += 1
        over = entry.count - self.free
        if over > 0:
            wait = min(self.max_wait_s, 2.0 ** (over - 1))
            entry.locked_until = self.clock() + wait
        if len(self._by_addr) > 10_000:  # an address scan must not grow this without bound
            with contextlib.suppress(StopIteration):
                self._by_addr.pop(next(iter(self._by_addr)))
        return self.wait_s(addr)

    def succeeded(self, addr: str) -> None:
        self._by_addr.pop(addr, None)
