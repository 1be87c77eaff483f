"""Reads the YAML that memtree writes (one key a line, flow lists and maps, plain and quoted
scalars, block lists of flow maps) without PyYAML. Declines with None on anything else, so the
full YAML parser decides: whatever it accepts is exactly what `yaml.safe_load` would return.
"""

from __future__ import annotations

import datetime as dt
import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?\Z")
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_STAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z\Z")
_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)\Z")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "n": "\n", "t": "\t", "r": "\r", "b": "\b",
            "f": "\f"}
_UNPRINTABLE = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\ud800-\udfff\ufffe\uffff]")
# A block value that can only be a plain string: starts with a letter, and holds no ':', '#',
# tab, control or non-ASCII character (those take the careful path below).
_PROSE = re.compile(r"[A-Za-z][A-Za-z0-9 _.,;!?()/'\"+*&%=<>@\[\]{}`~^$|\\-]*\Z")
_HEX = {"x": 2, "u": 4, "U": 8}
_HEXDIGITS = set("0123456789abcdefABCDEF")
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW_STOP = set(",[]{}")
_SPECIAL = {"yes", "no", "on", "off", "true", "false", "null", "~", "y", "n", "<<", "="}
# Plain scalars YAML 1.1 reads as numbers or timestamps (the implicit types of its resolver).
_TYPED = re.compile(r"""(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
    |[0-9]{4}-[0-9]{2}-[0-9]{2}
    |[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?
     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9]{2})?))?)\Z""", re.X)


class Decline(Exception):
    """Not in the subset: let the full parser decide."""


def load(text: str) -> dict[str, Any] | None:
    """The mapping `yaml.safe_load(text)` returns, or None when the text is outside the subset."""
    try:
        return _mapping(text.split("\n"))
    except (Decline, ValueError, IndexError, RecursionError):
        return None


def _mapping(lines: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    i = 0
    while i < len(lines):
        line = lines[i].rstrip(" ")
        i += 1
        if not line:
            continue
        match = _KEY.match(line)
        if match is None or match.group(1) in out:
            raise Decline
        key, rest = match.group(1), (match.group(2) or "").strip(" ")
        if rest:
            out[key] = _value(rest)
            continue
        items = []
        while i < len(lines) and lines[i].startswith("  - "):
            items.append(_value(lines[i][4:].rstrip(" ")))
            i += 1
        if i < len(lines) and lines[i].startswith(" ") and lines[i].strip():
            raise Decline  # a nested block or a continued scalar
        out[key] = items or None
    return out


def _value(text: str) -> Any:
    if _PROSE.match(text) and text.lower() not in _SPECIAL:
        return text  # the common case: a plain line of words, a string whatever its length
    value, end = _node(text, 0, flow=False)
    if text[end:].strip(" "):
        raise Decline
    return value


def _node(text: str, i: int, flow: bool) -> tuple[Any, int]:
    head = text[i]
    if head == "[":
        return _sequence(text, i + 1)
    if head == "{":
        return _flow_map(text, i + 1)
    if head == '"':
        return _double(text, i + 1)
    if head == "'":
        return _single(text, i + 1)
    return _plain(text, i, flow)


def _sequence(text: str, i: int) -> tuple[list[Any], int]:
    out: list[Any] = []
    i = _skip(text, i)
    if text[i] == "]":
        return out, i + 1
    while True:
        item, i = _node(text, i, flow=True)
        out.append(item)
        i = _skip(text, i)
        if text[i] == "]":
            return out, i + 1
        if text[i] != ",":
            raise Decline
        i = _skip(text, i + 1)
        if text[i] in ",]":
            raise Decline


def _flow_map(text: str, i: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    i = _skip(text, i)
    if text[i] == "}":
        return out, i + 1
    while True:
        colon = text.index(": ", i)
        key = text[i:colon].strip(" ")
        if not _KEY.match(key + ":") or key in out:
            raise Decline
        out[key], i = _node(text, _skip(text, colon + 2), flow=True)
        i = _skip(text, i)
        if text[i] == "}":
            return out, i + 1
        if text[i] != ",":
            raise Decline
        i = _skip(text, i + 1)


def _skip(text: str, i: int) -> int:
    while text[i] == " ":
        i += 1
    return i


def _double(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    while True:
        ch = text[i]
        if ch == '"':
            return _checked("".join(out)), i + 1
        if ch == "\\":
            code = text[i + 1]
            if code in _HEX:
                digits = text[i + 2:i + 2 + _HEX[code]]
                if len(digits) != _HEX[code] or not all(c in _HEXDIGITS for c in digits):
                    raise Decline
                point = int(digits, 16)
                if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
                    raise Decline
                out.append(chr(point))
                i += 2 + _HEX[code]
                continue
            if code not in _ESCAPES:
                raise Decline
            out.append(_ESCAPES[code])
            i += 2
            continue
        out.append(ch)
        i += 1


def _single(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    while True:
        end = text.index("'", i)
        out.append(text[i:end])
        if text[end + 1:end + 2] == "'":
            out.append("'")
            i = end + 2
            continue
        return _checked("".join(out)), end + 1


def _plain(text: str, i: int, flow: bool) -> tuple[Any, int]:
    end = i
    if flow:
        while end < len(text) and text[end] not in _FLOW_STOP:
            end += 1
    else:
        end = len(text)
    raw = text[i:end].strip(" ")
    if not raw or raw[0] in _INDICATORS or ": " in raw or " #" in raw or raw.endswith(":"):
        raise Decline
    if flow and (":" in raw or "?" in raw):
        raise Decline  # YAML readers differ on these inside brackets
    return _resolve(_checked(raw)), end


def _resolve(raw: str) -> Any:
    """The type YAML 1.1 gives a plain scalar, for the forms memtree writes; others decline."""
    if raw == "true":
        return True
    if raw == "false":
        return False
    if raw.lower() in _SPECIAL:
        raise Decline
    if _INT.match(raw):
        return int(raw)
    stamp = _STAMP.match(raw)
    if stamp:
        y, mo, d, h, mi, s = map(int, stamp.groups())
        return dt.datetime(y, mo, d, h, mi, s, tzinfo=dt.UTC)
    day = _DATE.match(raw)
    if day:
        return dt.date(*map(int, day.groups()))
    if _TYPED.match(raw):
        raise Decline  # floats, octal, hex, sexagesimal, other timestamp forms
    return raw


def _checked(value: str) -> str:
    """Tabs, control characters and other unprintables are left to the full parser's rules."""
    if _UNPRINTABLE.search(value):
        raise Decline
    return value
