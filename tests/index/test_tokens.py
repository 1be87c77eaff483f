"""The identifier-aware tokenizer, table-style (pure: no disk)."""

from __future__ import annotations

import pytest

from memtree.index import tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("snake_case", ["snake", "case", "snakecase"]),
        ("camelCase", ["camel", "case", "camelcase"]),
        ("parseHTTPResponse", ["parse", "http", "response", "parsehttpresponse"]),
        ("HTTPServer", ["http", "server", "httpserver"]),
        ("auth.jwt.sign", ["auth", "jwt", "sign", "authjwtsign"]),
        ("invoice.py", ["invoice", "py", "invoicepy"]),
        ("retry-policy", ["retry", "policy", "retrypolicy"]),
        ("src/auth/jwt.py", ["src", "auth", "jwt", "py", "srcauthjwtpy"]),
        ("__init__", ["init"]),
        ("Plain Words here.", ["plain", "words", "here"]),
        ("End of sentence. Next", ["end", "of", "sentence", "next"]),
        ("Café crème", ["cafe", "creme"]),
        ("v2Parser", ["v", "2", "parser", "v2parser"]),
        ("USA", ["usa"]),
        ("", []),
    ],
)
def test_terms(text: str, expected: list[str]) -> None:
    assert tokens.terms(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do we sign the JWT?", ["sign", "jwt"]),
        ("the who", ["the", "who"]),  # only stopwords: keep them rather than ask nothing
        ("jwt JWT jwt", ["jwt"]),
        ("load_user in invoice.py", ["load", "user", "loaduser", "invoice", "py", "invoicepy"]),
    ],
)
def test_query_terms(text: str, expected: list[str]) -> None:
    assert tokens.query_terms(text) == expected


def test_query_groups_keep_whole_last() -> None:
    assert tokens.query_groups("fix the snake_case bug") == [
        ["fix"], ["snake", "case", "snakecase"], ["bug"]]


def test_index_text_is_space_joined_terms() -> None:
    assert tokens.index_text("getUser(id)") == "get user getuser id"
