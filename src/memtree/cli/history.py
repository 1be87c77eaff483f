"""Commands for the history area (registered on import)."""

from __future__ import annotations
