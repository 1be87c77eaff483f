"""Importing what a project already knows into its memory, with no LLM: rules and instructions
files and decision records (`files.py`, `rules.py`, `adr.py`), the git history (`gitlog.py`),
and writing the result idempotently with provenance (`apply.py`)."""
