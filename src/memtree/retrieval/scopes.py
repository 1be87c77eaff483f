"""Querying the project memory together with the personal one (in the user's home): each hit
labelled by its scope, the project winning where both hold the same rule. Reads only."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from .. import config
from ..lifecycle.scores import DEFAULT, Params, params_of
from ..model import Hit, Result
from . import rank, tiers

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from ..config import Workspace

PERSONAL = "personal"


def query(ws: Workspace, text: str, limit: int = 10, filters: tiers.Filters | None = None,
          now: dt.datetime | None = None) -> Result:
    """`tiers.query` over the project and the personal memory."""
    return search(ws.root, text, limit, filters, params=params_of(ws.settings), now=now)


def search(root: Path, text: str, limit: int = 10, filters: tiers.Filters | None = None,
           fresh: bool = True, params: Params = DEFAULT, now: dt.datetime | None = None) -> Result:
    """`tiers.search` of `root`, merged with the personal memory's hits when there is one."""
    mine = tiers.search(root, text, limit, filters, fresh, params, now=now)
    personal = config.personal_beside(root)
    if personal is None:
        return mine
    theirs = tiers.search(personal, text, limit, filters, fresh,
                          params_of(config.load_settings(personal)), now=now)
    return merge(mine, theirs, limit)


def merge(project: Result, personal: Result, limit: int) -> Result:
    """Hits of both, best first; on equal scores the project's first, and a personal hit with
    the title of a project hit dropped (the project's rule wins)."""
    titles = {h.title.strip().casefold() for h in project.hits}
    theirs = [dataclasses.replace(h, scope=PERSONAL) for h in personal.hits
              if h.title.strip().casefold() not in titles]
    ranked = sorted([*((h, 0) for h in project.hits), *((h, 1) for h in theirs)],
                    key=lambda pair: (-pair[0].score, pair[1]))
    hits = tuple(h for h, _ in ranked[:limit])
    conf, escalate, reason = rank.confidence(list(hits), asked=bool(project.query.strip()))
    return Result(project.query, hits, conf, escalate, reason, project.took_ms + personal.took_ms)


def root_of(root: Path, hit: Hit) -> Path:
    """The memory root a hit's path is relative to."""
    if hit.scope == PERSONAL:
        return config.personal_beside(root) or root
    return root
