"""Commands for the agents area (registered on import)."""

from __future__ import annotations
