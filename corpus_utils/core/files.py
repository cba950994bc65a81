"""Files written whole or not at all: a temporary file beside the target, renamed over it once complete."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_whole"]


def write_whole(target: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` whole or not at all.

    The text goes to ``<target>.tmp``, which is then renamed over ``target``: a full disk or a crash never leaves
    half a file, and an earlier complete file stays until the new one is complete. On an ``OSError`` the temporary
    file is removed and the error raised. Returns the target's path.
    """
    destination = Path(target)
    temporary = destination.with_name(destination.name + ".tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(destination)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    return destination
