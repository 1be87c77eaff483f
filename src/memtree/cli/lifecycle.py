"""Commands for the lifecycle area (registered on import)."""

from __future__ import annotations
