"""Rich views of entries, lists, trees, problems and query results, for people at a terminal.

Presentation only: takes values from model.py, prints through render.console().
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from ..model import Entry, Problem, Result
from .output import console, escape, plain


def rows(lines: list[tuple[str, ...]]) -> None:
    """The plain form of a table: one tab-separated row per line, whole, for grep, cut, awk."""
    import sys

    for line in lines:
        sys.stdout.write("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in line) + "\n")


def entry(item: Entry) -> None:
    out = console()
    out.print(f"[bold]{escape(item.title)}[/bold]  [dim]{item.path}.md · id {item.id}[/dim]")
    facts = [item.type, item.status.value, item.maturity.value, f"importance {item.importance}"]
    if item.pinned:
        facts.append("pinned")
    out.print("[dim]" + " · ".join(facts) + "[/dim]")
    if item.summary:
        out.print(escape(item.summary))
    if item.tags or item.aliases:
        out.print(f"[dim]tags:[/dim] {escape(', '.join(item.tags))}  "
                  f"[dim]aliases:[/dim] {escape(', '.join(item.aliases))}")
    for rel in item.relations:
        out.print(f"[dim]→ {rel.type}[/dim] {escape(rel.target)}")
    if item.body:
        out.print()
        out.print(escape(item.body.rstrip()))


def entries(items: list[Entry]) -> None:
    from rich.table import Table

    out = console()
    if plain():
        rows([(e.path, e.title, e.type, e.status.value, str(e.importance)) for e in items])
        return
    if not items:
        out.print("[dim]no entries[/dim]")
        return
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for column in ("path", "title", "type", "status", "imp"):
        table.add_column(column, overflow="fold")
    for item in items:
        table.add_row(item.path, escape(item.title), item.type, item.status.value, str(item.importance))
    out.print(table)


def tree(node: dict[str, Any]) -> None:
    from rich.tree import Tree

    def grow(branch: Any, current: dict[str, Any]) -> None:
        for child in current["children"]:
            sub = branch.add(f"[bold]{child['name']}[/bold] [dim]({child['count']})[/dim]")
            grow(sub, child)
        for leaf in current.get("entries", []):
            mark = "" if leaf["status"] == "active" else f" [dim]({leaf['status']})[/dim]"
            branch.add(f"{escape(leaf['title'])} [dim]{leaf['path'].rsplit('/', 1)[-1]}[/dim]{mark}")

    root = Tree(f"[bold]{node['name']}[/bold] [dim]({node['count']} entries)[/dim]")
    grow(root, node)
    console().print(root)


def problems(found: list[Problem]) -> None:
    out = console()
    for problem in found:
        colour = "red" if problem.severity == "error" else "yellow"
        out.print(f"[{colour}]{problem.severity}[/{colour}] {escape(str(problem))}")


def result(res: Result, explain: bool = False) -> None:
    """A query result: through rich on a terminal, else the same lines without it."""
    if plain():
        from . import plainview

        plainview.result(res, explain)
    else:
        rich_result(res, explain)


def rich_result(res: Result, explain: bool = False) -> None:
    """A query result through rich (colour on a terminal)."""
    out = console()
    if not res.hits:
        out.print(f"[dim]nothing found for {escape(res.query)!r}[/dim]")
    for rank, hit in enumerate(res.hits, 1):
        scope = f" ({hit.scope})" if hit.scope != "project" else ""
        flagged = f"  [yellow]({escape(', '.join(hit.flags))})[/yellow]" if hit.flags else ""
        out.print(f"{rank}. [bold]{escape(hit.title)}[/bold]  [dim]{hit.path}{scope}[/dim]{flagged}")
        if hit.summary:
            out.print(f"   {escape(hit.summary)}")
        if explain:
            parts = " ".join(f"{k}={v:.3f}" for k, v in hit.parts)
            out.print(f"   [dim]tier={hit.tier.value} score={hit.score:.3f} {parts}[/dim]")
            out.print(f"   [dim]why: {escape(hit.why)}[/dim]")
    escalated = any(h.tier.value == "llm" for h in res.hits)
    if explain or res.escalate or escalated:
        gate = ("escalated" if escalated else "low confidence: would escalate" if res.escalate
                else "confident")
        out.print(f"[dim]{gate} (confidence {res.confidence:.2f}) {escape(res.reason)}[/dim]")


def pack(item: Any) -> None:
    """A context pack as people read it: the text agents get, then what was chosen and why."""
    out = console()
    if not item.items:
        out.print(f"[dim]nothing to pack for {escape(item.query)!r}[/dim]")
    for part in item.items:
        out.print(escape(part.text))
        out.print(f"[dim]  ({part.tier}, score {part.score:.3f}, {part.tokens} tokens: "
                  f"{escape(part.why)})[/dim]")
        out.print()
    out.print(f"[dim]{item.tokens}/{item.budget} tokens; {len(item.omitted)} left out"
              + ("; low confidence" if item.escalate else "") + "[/dim]")


@contextlib.contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr when it is a terminal; a silent callback otherwise."""
    import sys

    if not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield step


def reindexed(stats: Any) -> None:
    out = console()
    out.print(f"indexed {len(stats.updated)} entries, removed {len(stats.removed)}")
    for line in stats.problems:
        out.print(f"[yellow]skipped[/yellow] {escape(line)}")


def init_commit(data: dict[str, Any], rest: Callable[[dict[str, Any]], None]) -> None:
    """`memtree init`'s report (`rest` renders all but git), then what it committed to git,
    saying so when it is the repository's first commit."""
    rest(data)
    done = data["git"]
    if not done.get("commit"):
        if done.get("repository"):
            why = "autocommit is off" if done.get("autocommit") is False else "nothing new"
            if done.get("rejected"):
                why = "a hook rejected the commit; the change is queued"
            print(f"nothing committed to git in {done['repository']} ({why})")
        return
    first = " (the first commit of this repository)" if done.get("first_commit") else ""
    print(f"committed {done['commit'][:10]} in {done['repository']}{first}: "
          f"{len(done['files'])} file(s)")
    for name in done["files"]:
        print(f"  {name}")
