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
import json
import re
import shutil
import sqlite3
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from ..core.locks import file_lock
from ..core.paths import PROJECT_ROOT, resolve_path

__all__ = [
    "CACHE_ENV_VAR",
    "DEFAULT_CACHE_DIR",
    "CacheWarning",
    "LOCK_TIMEOUT",
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
#: Seconds a load waits for another process's parse lock before parsing without it.
LOCK_TIMEOUT = 600.0
_BATCH = 500  # keys per SELECT (SQLite allows 999 parameters in old builds)
_STALE_NAME = re.compile(r"pages-[0-9a-f]{16}\.(?:sqlite(?:-wal|-shm|-journal)?|lock)")


class CacheWarning(UserWarning):
    """The page cache could not be used; loading went on without it (results are the same, only slower)."""


def content_key(data: bytes) -> str:
    """The cache key of a file: the hex SHA-256 of its bytes. Cost: about 1 s per GB."""
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=1)
def parser_version() -> str:
    """A short hash of the source files of this input layer and of the word count it stores (``core/words.py``):
    any change to decoding, parsing or counting starts a fresh cache."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for source in [*sorted(here.glob("*.py")), here.parent / "core" / "words.py"]:
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


def cache_folder(cache: bool | str | Path | None, *, automatic: bool) -> str | Path | None:
    """The folder a ``cache`` option names (None: ``automatic`` decides; True: the default folder), or None."""
    if cache is None:
        cache = automatic
    if cache is False:
        return None
    if cache is True:
        return default_cache_dir()
    if isinstance(cache, (str, Path)):
        return cache
    raise ValueError(f"cache must be None (automatic), True, False or a folder path, got {cache!r}")


def default_cache_dir() -> Path:
    """:data:`CACHE_ENV_VAR` if set (relative paths from the current folder), else :data:`DEFAULT_CACHE_DIR`."""
    configured = os.environ.get(CACHE_ENV_VAR, "").strip()
    return resolve_path(configured) if configured else DEFAULT_CACHE_DIR


def clear_cache(folder: str | Path | None = None) -> None:
    """Delete the cache folder (default :func:`default_cache_dir`) and everything in it."""
    shutil.rmtree(resolve_path(folder) if folder else default_cache_dir(), ignore_errors=True)


class PageCache:
    """Parsed pages by content key, in ``<folder>/pages-<parser version>.sqlite``.

    Values are JSON (lists, strings, numbers, None; the loader stores its per-file parse result), never
    pickles: a planted or damaged entry cannot run code, it is only a miss. Reads and writes are batched;
    a cache file that is not a database is deleted and started again; a cache that cannot be opened or
    written emits a :class:`CacheWarning` and then behaves as empty, so loading never fails because of
    the cache.

    Parameters
    ----------
    folder : str or Path
        The cache folder (created if missing; relative paths from the repository root).
    lock_timeout : float
        Seconds :meth:`parsing` waits for another process's parse lock before going on without it.
    """

    def __init__(self, folder: str | Path, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.folder = resolve_path(folder)
        self.path = self.folder / f"pages-{parser_version()}.sqlite"
        self.lock_timeout = lock_timeout
        self._connection: sqlite3.Connection | None = None
        self._broken = False

    def _open(self) -> sqlite3.Connection:
        self.folder.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=60)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("CREATE TABLE IF NOT EXISTS pages (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        except sqlite3.Error:
            connection.close()
            raise
        return connection

    def _connect(self) -> sqlite3.Connection | None:
        if self._connection is None and not self._broken:
            try:
                try:
                    connection = self._open()
                except sqlite3.DatabaseError:  # not a database (damaged, truncated, planted): start again
                    self._delete_files()
                    connection = self._open()
                self._connection = connection
            except (OSError, sqlite3.Error) as exc:
                self._fail("opened", exc)
            else:
                self._remove_stale_versions()
        return self._connection

    def _delete_files(self) -> None:
        """Remove this version's database and its journal files (they are this cache's own files)."""
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            except OSError:
                pass

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
        """The cached values of those ``keys`` that are present and readable JSON (anything else is a miss)."""
        connection = self._connect()
        found: dict[str, object] = {}
        if connection is None:
            return found
        unique = list(dict.fromkeys(keys))
        try:
            for start in range(0, len(unique), _BATCH):
                batch = unique[start : start + _BATCH]
                placeholders = ",".join("?" * len(batch))
                for key, text in connection.execute(f"SELECT key, value FROM pages WHERE key IN ({placeholders})", batch):
                    try:
                        found[key] = json.loads(text)
                    except (TypeError, ValueError):
                        continue  # a damaged entry: parsed again and replaced by put_many
        except sqlite3.Error as exc:
            self._fail("read", exc)
            return {}
        return found

    def put_many(self, items: Iterable[tuple[str, object]]) -> None:
        """Store ``(key, value)`` pairs of JSON-able values, replacing what was stored under the same key."""
        connection = self._connect()
        if connection is None:
            return
        rows = [(key, json.dumps(value, ensure_ascii=False, allow_nan=False)) for key, value in items]
        if not rows:
            return
        try:
            with connection:
                connection.executemany("INSERT OR REPLACE INTO pages (key, value) VALUES (?, ?)", rows)
        except sqlite3.Error as exc:
            self._fail("written", exc)

    @contextmanager
    def parsing(self) -> Iterator[None]:
        """Hold the cache's parse lock: other processes loading through this cache wait, then find the pages cached.

        Notebooks run side by side load the same corpus at the same moment; without the lock each
        would parse every page. Waiting only happens while another process parses (never on a warm
        cache). The lock is a POSIX record lock (``lockf``): it belongs to the process that took it, so
        worker processes forked while it is held never hold it, and it is released when its holder
        dies. After :attr:`lock_timeout` seconds of waiting the load goes on without the lock (parsing
        twice is slower, never wrong), with a :class:`CacheWarning`. No-op where ``fcntl`` is missing.
        """
        if self._broken:
            yield
            return
        with file_lock(self.folder / f"pages-{parser_version()}.lock", timeout=self.lock_timeout) as state:
            if state == "timeout":
                warnings.warn(
                    f"page cache {self.path}: another process has held the parse lock for over {self.lock_timeout:.0f} s; "
                    "parsing without waiting for it (same results, perhaps parsed twice)",
                    CacheWarning,
                    stacklevel=3,
                )
            yield

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
