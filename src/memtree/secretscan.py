"""Finding and masking credentials: token formats, private keys, passwords in URLs, and
high-entropy values assigned to names like `password`. Writes call `guard` (refuse, mask or allow:
`[secrets] on_write`, MEMTREE_SECRETS; values in `[secrets] allow` pass); read paths that output
text call `mask`, so a secret typed into a file by hand is not shown. Pure; compiled on first use.
"""

from __future__ import annotations

import math
import re
from collections import Counter

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

    from .config import Settings
    from .model import Entry

MODES = ("refuse", "mask", "allow")
# (kind, pattern): the secret is group "s" when the pattern has one, else the whole match.
PATTERNS = (
    ("private-key", r"-----BEGIN[A-Z0-9 ]* PRIVATE KEY(?: BLOCK)?-----"
                    r"(?:[\s\S]*?-----END[A-Z0-9 ]* PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s\\]*)"),
    ("aws-access-key-id", r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
    ("aws-secret-access-key", r"(?i)aws.{0,24}?(?:secret|private).{0,24}?[=:>\"'\s]"
                              r"\s*[\"']?(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b"),
    ("gitlab-token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    ("anthropic-key", r"\bsk-ant-[a-z]{2,8}\d{0,3}-[A-Za-z0-9_-]{32,}"),
    ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)[A-Za-z0-9_-]{32,}|"
                   r"\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b|\bsk-[A-Za-z0-9]{48}\b"),
    ("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}"),
    ("slack-token", r"\bxox[abposr]-[0-9A-Za-z-]{10,}|"
                    r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"),
    ("url-password", r"\b[a-zA-Z][a-zA-Z0-9+.-]+://[^\s:/@\"'<>]+:(?P<s>[^\s@/\"'<>]{3,})@"
                     r"[^\s/\"'<>]"),
    ("password-assignment", r"(?i)(?<![A-Za-z0-9])[\"']?(?:[a-z0-9_.-]{0,20}[_.-])?"
                            r"(?:password|passwd|pwd|secret|secret_?key|api_?key|apikey|"
                            r"access_?token|auth_?token|private_?key|client_?secret|token)"
                            r"[\"']?\s{0,3}(?:=|:|=>|:=)\s{0,3}[\"'`]?"
                            r"(?P<s>[^\s\"'`,;()\]\[{}<>]{8,})"),
)
# Values that name a secret without being one: environment lookups, template slots, examples.
PLACEHOLDER = (  # pattern strings: compiled on first use (re caches them)
    r"(?i)^(?:\$\{?|%\(|\{\{|<|os\.|env\.|process\.env|getenv|environ|secrets\.|vault:|"
    r"(?:x{4,}|\*{3,}|\.{3,}))|example|placeholder|changeme|your[_-]|redacted|dummy|"
    r"\bmasked\b|^(?:none|null|true|false|undefined|required|optional|string|str|bytes|"
    r"pass(?:word|wd)?|pwd|secret|user(?:name)?)$")
# What every pattern needs; a secret's name counts only when something is assigned to it, so
# words like "keyword" or "tokens" in ordinary text do not make a scan compile the patterns.
PREFILTER = (
    r"(?i)PRIVATE KEY|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|aws|gh[pousr]_|github_pat_|glpat-|sk-|"
    r"_live_|_test_|xox|hooks\.slack|AIza|npm_|eyJ|://|"
    r"(?:password|passwd|pwd|secret|key|token)[\"']?\s{0,3}[=:]")


class Finding:
    """One secret found: its kind, and where its value starts and ends in the text."""

    __slots__ = ("end", "kind", "start", "value")

    def __init__(self, kind: str, start: int, end: int, value: str) -> None:
        self.kind, self.start, self.end, self.value = kind, start, end, value

    def __repr__(self) -> str:
        return f"Finding({self.kind!r}, {self.start}, {self.end})"


_COMPILED: list[tuple[str, re.Pattern[str]]] = []


def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    if not _COMPILED:
        _COMPILED.extend((kind, re.compile(p)) for kind, p in PATTERNS)
    return _COMPILED


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _plausible(kind: str, value: str, quoted: bool = False) -> bool:
    """Drop what only looks like a secret: placeholders, names, low-entropy words."""
    if kind == "password-assignment":
        if re.search(PLACEHOLDER, value) or not quoted and re.match(r"[A-Za-z_][\w.]*$", value) and (
                re.search(r"[._]", value) or not re.search(r"\d", value)):
            return False  # a name: `token = get_token()`, `key: config.key`, `secret: SECRET`
        classes = sum(bool(re.search(c, value)) for c in ("[a-z]", "[A-Z]", "[0-9]", r"[^A-Za-z0-9]"))
        return classes >= 2 and entropy(value) >= 3.0
    if kind in ("url-password", "aws-secret-access-key"):
        return not re.search(PLACEHOLDER, value) and entropy(value) >= (2.0 if kind[0] == "u" else 3.5)
    return not re.search(r"(?i)example|x{8,}", value) or kind == "private-key"


ALLOWED: tuple[str, ...] = ()  # `[secrets] allow` of the root whose settings were read last


def scan(text: str, allow: tuple[str, ...] | None = None) -> list[Finding]:
    """Every secret in `text`, in order, overlapping findings merged (the first kind wins)."""
    allow = ALLOWED if allow is None else allow
    if not text or re.search(PREFILTER, text) is None:
        return []
    found: list[Finding] = []
    for kind, pattern in _patterns():
        for match in pattern.finditer(text):
            group = "s" if "s" in pattern.groupindex else 0
            value, start = match.group(group), match.start(group)
            quoted = start > 0 and text[start - 1] in "\"'`"
            if value is None or not _plausible(kind, value, quoted) or any(a in value for a in allow):
                continue
            found.append(Finding(kind, match.start(group), match.end(group), value))
    found.sort(key=lambda f: (f.start, -f.end))
    merged: list[Finding] = []
    for item in found:
        if merged and item.start < merged[-1].end:
            continue
        merged.append(item)
    return merged


def mask(text: str, allow: tuple[str, ...] | None = None) -> str:
    """`text` with each secret's value replaced by `[secret masked: <kind>]`."""
    findings = scan(text, allow)
    for item in reversed(findings):
        text = f"{text[:item.start]}[secret masked: {item.kind}]{text[item.end:]}"
    return text


def mask_data(obj: Any, allow: tuple[str, ...] | None = None) -> Any:
    """Every string in JSON-like data masked (dicts, lists, tuples)."""
    if isinstance(obj, str):
        return mask(obj, allow)
    if isinstance(obj, dict):
        return {k: mask_data(v, allow) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [mask_data(v, allow) for v in obj]
    return obj


# ------------------------------------------------------------------ writes

TEXT_FIELDS = ("title", "summary", "body", "tags", "aliases")


def policy(settings: Settings) -> tuple[str, tuple[str, ...]]:
    """(mode, allow-list) from `[secrets]` in config.toml; MEMTREE_SECRETS overrides the mode."""
    from .config import env
    from .errors import InvalidEntry

    mode = env("MEMTREE_SECRETS") or settings.get("secrets.on_write", "refuse")
    if mode not in MODES:
        raise InvalidEntry(f"secrets.on_write {mode!r}: use one of {', '.join(MODES)}")
    allow = settings.get("secrets.allow", [])
    if isinstance(allow, str):
        allow = [allow]
    return str(mode), tuple(str(a) for a in allow if a)


def fields_of(item: Entry) -> dict[str, str]:
    out = {name: getattr(item, name) for name in ("title", "summary", "body")}
    out.update({name: "\n".join(getattr(item, name)) for name in ("tags", "aliases")})
    out["source.files"] = "\n".join(item.source.files) if item.source else ""
    return out


def guard(settings: Settings, new: Entry, old: Entry | None = None) -> Entry:
    """The entry to write: unchanged, or refused (SecretFound naming the field and kind), or with
    its secrets masked, by the policy. Fields the write does not change are not judged again."""
    mode, allow = policy(settings)
    if mode == "allow":
        return new
    before = fields_of(old) if old is not None else {}
    changed = {k: v for k, v in fields_of(new).items() if v and before.get(k) != v}
    hits = {k: scan(v, allow) for k, v in changed.items()}
    hits = {k: v for k, v in hits.items() if v}
    if not hits:
        return new
    if mode == "refuse":
        from .errors import SecretFound

        name, items = next(iter(hits.items()))
        kinds = ", ".join(sorted({i.kind for i in items}))
        raise SecretFound(f"{new.path}: field '{name}' holds what looks like a secret ({kinds})",
                          hint="remove it and keep it in a secret store; or set [secrets] "
                               "on_write = \"mask\" (or MEMTREE_SECRETS=mask), or list the value "
                               "in [secrets] allow (docs/security.md)")
    return _masked(new, hits, allow)


def _masked(new: Entry, hits: dict[str, list[Finding]], allow: tuple[str, ...]) -> Entry:
    import dataclasses

    changes: dict[str, Any] = {}
    for name in hits:
        if name in ("title", "summary", "body"):
            changes[name] = mask(getattr(new, name), allow)
        elif name in ("tags", "aliases"):
            changes[name] = tuple(mask(v, allow) for v in getattr(new, name))
        elif new.source is not None:
            files = tuple(mask(v, allow) for v in new.source.files)
            changes["source"] = dataclasses.replace(new.source, files=files)
    return dataclasses.replace(new, **changes)
