"""Health of a memory root: `doctor` (one report of everything wrong, safe repairs)."""
