"""Query results as plain text for a pipe or a file: the lines `views.result` prints through rich
when stdout is not a terminal, written without importing rich (its import is a third of a cold
query). Secrets masked as everywhere else; no markup, no colour.

Rich drops five control characters (BEL, BS, VT, FF, CR) from what it prints and expands tabs;
so does this. It also turns `:emoji_name:` codes into emoji; this shows the text as written.
"""

from __future__ import annotations

import sys

from ..secretscan import mask

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from ..model import Result

_DROPPED = dict.fromkeys((7, 8, 11, 12, 13))  # the control codes rich strips from text
TAB_SIZE = 8  # rich expands tabs to this width


def result_lines(res: Result, explain: bool = False) -> list[str]:
    """The lines of a query result, as `views.result` shows them without a terminal."""
    out = []
    if not res.hits:
        out.append(f"nothing found for {mask(res.query)!r}")
    for rank, hit in enumerate(res.hits, 1):
        scope = f" ({hit.scope})" if hit.scope != "project" else ""
        flagged = f"  ({mask(', '.join(hit.flags))})" if hit.flags else ""
        out.append(f"{rank}. {mask(hit.title)}  {hit.path}{scope}{flagged}")
        if hit.summary:
            out.append(f"   {mask(hit.summary)}")
        if explain:
            parts = " ".join(f"{k}={v:.3f}" for k, v in hit.parts)
            out.append(f"   tier={hit.tier.value} score={hit.score:.3f} {parts}")
            out.append(f"   why: {mask(hit.why)}")
    escalated = any(h.tier.value == "llm" for h in res.hits)
    if explain or res.escalate or escalated:
        gate = ("escalated" if escalated else "low confidence: would escalate" if res.escalate
                else "confident")
        out.append(f"{gate} (confidence {res.confidence:.2f}) {mask(res.reason)}")
    return out


def result(res: Result, explain: bool = False) -> None:
    """Print a query result as plain lines on stdout."""
    text = "\n".join(result_lines(res, explain)).translate(_DROPPED).expandtabs(TAB_SIZE)
    sys.stdout.write(text + "\n")
