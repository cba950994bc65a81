"""A content-addressed cache of parsed pages, so reloading an unchanged corpus skips decoding and parsing.

Entries are keyed by the SHA-256 of a file's bytes, so a renamed or moved file still hits and an
edited file misses. The cache lives in one SQLite file per parser version,
``<cache folder>/pages-<version>.sqlite``; the version is a hash of the loader's source
(every module of :mod:`corpus_utils.input`), so changing the parser never serves stale results.
The default folder is ``.cache/pages`` in the repository (git-ignored); the environment variable
``CORPUS_UTILS_CACHE_DIR`` moves it. Caches of older parser versions are deleted when a newer one
opens. Delete the folder (or call :func:`clear_cache`) to reclaim the space: the cache holds about
the size of the corpus's text.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
import sqlite3
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from ..core.paths import PROJECT_ROOT, resolve_path

try:  # POSIX: a lock file serialises concurrent parsing of the same pages
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "CACHE_ENV_VAR",
    "DEFAULT_CACHE_DIR",
    "CacheWarning",
    "PageCache",
    "content_key",
    "parser_version",
    "default_cache_dir",
    "clear_cache",
]

#: Environment variable naming another cache folder.
CACHE_ENV_VAR = "CORPUS_UTILS_CACHE_DIR"
#: Where parsed pages are cached unless :data:`CACHE_ENV_VAR` or a ``cache`` argument says otherwise.
DEFAULT_CACHE_DIR: Path = PROJECT_ROOT / ".cache" / "pages"
_BATCH = 500  # keys per SELECT (SQLite allows 999 parameters in old builds)
_STALE_NAME = re.compile(r"pages-[0-9a-f]{16}\.(?:sqlite(?:-wal|-shm|-journal)?|lock)")


class CacheWarning(UserWarning):
    """The page cache could not be used; loading went on without it (results are the same, only slower)."""


def content_key(data: bytes) -> str:
    """The cache key of a file: the hex SHA-256 of its bytes. Cost: about 1 s per GB."""
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=1)
def parser_version() -> str:
    """A short hash of the source files of this input layer: any change to decoding or parsing starts a fresh cache."""
    digest = hashlib.sha256()
    for source in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


def default_cache_dir() -> Path:
    """:data:`CACHE_ENV_VAR` if set (relative paths from the repository root), else :data:`DEFAULT_CACHE_DIR`."""
    configured = os.environ.get(CACHE_ENV_VAR, "").strip()
    return resolve_path(configured) if configured else DEFAULT_CACHE_DIR


def clear_cache(folder: str | Path | None = None) -> None:
    """Delete the cache folder (default :func:`default_cache_dir`) and everything in it."""
    shutil.rmtree(resolve_path(folder) if folder else default_cache_dir(), ignore_errors=True)


class PageCache:
    """Parsed pages by content key, in ``<folder>/pages-<parser version>.sqlite``.

    Values are any picklable object (the loader stores its per-file parse result). Reads and writes
    are batched; a cache that cannot be opened or written emits a :class:`CacheWarning` and then
    behaves as empty, so loading never fails because of the cache.

    Parameters
    ----------
    folder : str or Path
        The cache folder (created if missing; relative paths from the repository root).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = resolve_path(folder)
        self.path = self.folder / f"pages-{parser_version()}.sqlite"
        self._connection: sqlite3.Connection | None = None
        self._broken = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._connection is None and not self._broken:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, timeout=60)
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                connection.execute("CREATE TABLE IF NOT EXISTS pages (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
                self._connection = connection
            except (OSError, sqlite3.Error) as exc:
                self._fail("opened", exc)
            else:
                self._remove_stale_versions()
        return self._connection

    def _remove_stale_versions(self) -> None:
        """Delete caches written by other parser versions: they can never be read again."""
        for stale in self.folder.glob("pages-*"):
            if not stale.name.startswith(f"pages-{parser_version()}.") and _STALE_NAME.fullmatch(stale.name):
                try:
                    stale.unlink()
                except OSError:
                    pass  # another process may hold it; it is removed on a later load

    def _fail(self, what: str, exc: Exception) -> None:
        self._broken = True
        self._connection = None
        warnings.warn(
            f"page cache {self.path} could not be {what} ({exc}); loading without it. "
            f"Pass cache=False, or point {CACHE_ENV_VAR} at a writable folder.",
            CacheWarning,
            stacklevel=4,
        )

    def get_many(self, keys: Sequence[str]) -> dict[str, object]:
        """The cached values of those ``keys`` that are present (missing keys are simply absent)."""
        connection = self._connect()
        found: dict[str, object] = {}
        if connection is None:
            return found
        unique = list(dict.fromkeys(keys))
        try:
            for start in range(0, len(unique), _BATCH):
                batch = unique[start : start + _BATCH]
                placeholders = ",".join("?" * len(batch))
                for key, blob in connection.execute(f"SELECT key, value FROM pages WHERE key IN ({placeholders})", batch):
                    found[key] = pickle.loads(blob)
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            self._fail("read", exc)
            return {}
        return found

    def put_many(self, items: Iterable[tuple[str, object]]) -> None:
        """Store ``(key, value)`` pairs; existing keys are left as they are (same bytes, same parse)."""
        connection = self._connect()
        if connection is None:
            return
        rows = [(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)) for key, value in items]
        if not rows:
            return
        try:
            with connection:
                connection.executemany("INSERT OR IGNORE INTO pages (key, value) VALUES (?, ?)", rows)
        except sqlite3.Error as exc:
            self._fail("written", exc)

    @contextmanager
    def parsing(self) -> Iterator[None]:
        """Hold the cache's parse lock: other processes loading through this cache wait, then find the pages cached.

        Notebooks run side by side load the same corpus at the same moment; without the lock each
        would parse every page. Waiting only happens while another process parses (never on a
        warm cache); the lock is released if its holder dies. No-op where ``fcntl`` is missing.
        """
        handle = None
        if fcntl is not None and not self._broken:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                handle = open(self.folder / f"pages-{parser_version()}.lock", "a+b")  # noqa: SIM115
                fcntl.flock(handle, fcntl.LOCK_EX)
            except OSError:
                if handle is not None:
                    handle.close()
                handle = None  # no lock: parsing twice is slower, never wrong
        try:
            yield
        finally:
            if handle is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()

    def __len__(self) -> int:
        connection = self._connect()
        if connection is None:
            return 0
        return int(connection.execute("SELECT COUNT(*) FROM pages").fetchone()[0])

    def close(self) -> None:
        """Close the database connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> PageCache:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
