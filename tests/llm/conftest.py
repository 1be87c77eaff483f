"""Fixtures of the LLM tests: a real model server on loopback."""

from llm_support import model_server  # noqa: F401
