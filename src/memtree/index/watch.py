"""File system events for long-running processes (the only watchdog user): which folders of a
memory root changed since the last look. Never reads an entry or touches the index.
"""

from __future__ import annotations

import os
import threading

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


class Watch:
    """A recursive watch on a root: `take()` returns the folders (relative) touched since the
    last call. If the watch cannot start or dies, `alive` is False and callers fall back to stats.
    """

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self._dirty: set[str] = set()
        self._lock = threading.Lock()
        self._observer: Any = None

    def start(self) -> bool:
        try:
            from watchdog.events import FileSystemEvent, FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:
            return False
        import warnings

        # watchdog warns when a folder made a moment ago is watched twice; harmless, and it
        # would otherwise print a screenful on the MCP server's stderr
        warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning)
        outer = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                outer._note(event.src_path, event.is_directory)
                if getattr(event, "dest_path", ""):
                    outer._note(event.dest_path, event.is_directory)

        observer = Observer()
        try:
            observer.schedule(Handler(), self.root, recursive=True)
            observer.daemon = True
            observer.start()
        except OSError:  # e.g. the inotify watch limit is reached
            return False
        self._observer = observer
        return True

    @property
    def alive(self) -> bool:
        return self._observer is not None and bool(self._observer.is_alive())

    def _note(self, path: str | bytes, is_dir: bool) -> None:
        text = os.fsdecode(path)
        if not text.startswith(self.root):
            return
        rel = text[len(self.root):].strip("/")
        if any(part.startswith(".") for part in rel.split("/")):
            return  # the index, editors' swap files, git internals
        with self._lock:
            if is_dir and rel:
                self._dirty.add(rel)
            self._dirty.add(rel.rsplit("/", 1)[0] if "/" in rel else "")

    def note(self, rels: list[str]) -> None:
        """Mark folders changed (for writes this process made, before their events arrive)."""
        with self._lock:
            self._dirty.update(rels)

    def take(self) -> set[str]:
        with self._lock:
            out, self._dirty = self._dirty, set()
        return out

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
            self._observer = None
