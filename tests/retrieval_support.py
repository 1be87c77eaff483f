"""Helpers for the retrieval tests: a small real tree and an entry file written behind memtree's back."""

from __future__ import annotations

from pathlib import Path

from memtree import Memory


def seed(memory: Memory) -> None:
    """A small tree with code identifiers, aliases, tags, relations and lifecycle differences."""
    memory.add("Sign access tokens with RS256", "auth/jwt", tags=["jwt", "security"],
               aliases=["jwt signing", "token signature"], importance=70, maturity="validated",
               body="Access tokens are JWTs signed with RS256 in `auth.jwt.sign` (src/auth/jwt.py).")
    memory.add("Refresh token lifetime", "auth/jwt", tags=["jwt"],
               body="Refresh tokens live 14 days; see [[auth/jwt/sign-access-tokens-with-rs256]].")
    memory.add("Session cookies", "auth/web", tags=["cookies"],
               body="Cookies are HttpOnly and SameSite=Lax.")
    memory.add("Connection pooling", "db/postgres", tags=["postgres"],
               body="Use pgbouncer in transaction mode; `db_pool_size` defaults to 20.")
    memory.add("Invoice numbering", "billing/invoices", tags=["billing"],
               body="Invoice numbers come from `next_invoice_number` in invoice.py.")


def write_entry(root: Path, rel: str, title: str, body: str, **extra: str) -> Path:
    """Write an entry file directly, the way a person with an editor would."""
    file = root / f"{rel}.md"
    file.parent.mkdir(parents=True, exist_ok=True)
    lines = ["---", f"title: {title}", *(f"{k}: {v}" for k, v in extra.items()), "---", body, ""]
    file.write_text("\n".join(lines), encoding="utf-8")
    return file
