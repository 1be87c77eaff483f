"""Commands over entries: init, add, show, edit, list, tree, mv, rm, link, unlink, validate,
templates. Each parses its arguments, makes one Memory call and renders the answer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ProblemsFound, UsageError
from . import common, views
from .app import app
from .common import JsonOpt, ReasonOpt

Ref = Annotated[
    str, typer.Argument(help="Entry path (domain/topic/slug), id, slug or title.", metavar="ENTRY")
]


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Project folder to hold .memory/.", metavar="DIR")] = Path("."),
    as_root: Annotated[bool, typer.Option("--as-root", help="Make FOLDER itself the root.")] = False,
    mode: Annotated[str | None, typer.Option("--mode", help="embedded (in the project's git repo) or standalone (its own repo).")] = None,
    no_autocommit: Annotated[bool, typer.Option("--no-autocommit", help="Leave changes for you to commit.")] = False,
    run_import: Annotated[bool, typer.Option("--import", help="Also import the project's rules files, decision records and git history.")] = False,
    json: JsonOpt = False,
) -> None:
    """Create a memory root (.memory/ with config.toml and .gitignore); says what it could import."""
    from ..memory import Memory
    from .imports import after_init, render_init

    made = Memory.init(folder, as_root=as_root, mode=mode, autocommit=False if no_autocommit else None)
    report = {**after_init(made.ws, run_import), "git": made.setup}
    common.out(report, json, lambda data: views.init_commit(data, render_init))
    rejected = made.setup.get("rejected")
    if rejected:  # reported above; the error and exit 11 come last
        from ..errors import HistoryError

        raise HistoryError(rejected["message"], hint=rejected["hint"])


@app.command()
def add(
    title: Annotated[str, typer.Argument(help="Entry title.", metavar="TITLE")],
    path: Annotated[str | None, typer.Option("--path", "-p", help="DOMAIN/TOPIC[/SUBTOPIC].")] = None,
    domain: Annotated[str | None, typer.Option("--domain", help="Domain (instead of --path).")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Topic (with --domain).")] = None,
    subtopic: Annotated[str | None, typer.Option("--subtopic", help="Optional subtopic.")] = None,
    body: Annotated[str | None, typer.Option("--body", "-b", help="Body text ('-' reads stdin).")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the body from a file ('-' for stdin).")] = None,
    summary: Annotated[str, typer.Option("--summary", "-s", help="One-sentence summary.")] = "",
    type: Annotated[str | None, typer.Option("--type", "-t", help="fact, decision, convention, how-to, bug…")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="Another name (repeatable).")] = None,
    importance: Annotated[int | None, typer.Option("--importance", callback=common.bounded(0, 100), help="0-100.")] = None,
    maturity: Annotated[str | None, typer.Option("--maturity", help="draft, validated or core.")] = None,
    template: Annotated[str | None, typer.Option("--template", help="A template from `memtree templates`.")] = None,
    slug: Annotated[str | None, typer.Option("--slug", help="File name (default: from the title).")] = None,
    relation: Annotated[list[str] | None, typer.Option("--link", help="TYPE=TARGET relation (repeatable).")] = None,
    source_file: Annotated[list[str] | None, typer.Option("--source-file", help="A code file this came from.")] = None,
    pin: Annotated[bool, typer.Option("--pin", help="Pin the entry.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing entry at that path.")] = False,
    supersedes: Annotated[str | None, typer.Option("--supersedes", help="An entry this one replaces.")] = None,
    anchor: Annotated[list[str] | None, typer.Option("--anchor", help="Code it describes: PATH[:START-END] or PATH#SYMBOL (repeatable).")] = None,
    personal: Annotated[bool, typer.Option("--personal", help="Add to your personal memory (in your home), not the project's.")] = False,
    reason: ReasonOpt = None,
    json: JsonOpt = False,
) -> None:
    """Add an entry: memtree add TITLE --path DOMAIN/TOPIC [--body TEXT | --file F | stdin]."""
    where = path or "/".join(p for p in (domain, topic, subtopic) if p)
    if not where:
        raise UsageError("--path DOMAIN/TOPIC (or --domain and --topic) is required")
    made = (common.personal_memory() if personal else common.memory()).add(
        title, where, _body(body, file), supersedes=supersedes, anchors=anchor or (),
        summary=summary, type=type, tags=tag or (),
        aliases=alias or (), importance=importance, maturity=maturity, template=template,
        slug=slug, relations=[_pair(r) for r in relation or ()], files=source_file or (),
        pinned=pin, force=force, reason=reason,
    )
    common.out(made, json, lambda e: print(f"added {e.path}.md (id {e.id})"))


def _body(body: str | None, file: Path | None) -> str | None:
    if body is not None and file is not None:
        raise UsageError("give --body or --file, not both")
    if body == "-" or (file is not None and str(file) == "-"):
        return common.read_stdin(wait=True)
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--file {file}: cannot read: {exc}") from exc
    return body if body is not None else (common.read_stdin(wait=False) or None)


def _pair(text: str) -> tuple[str, str]:
    kind, sep, target = text.partition("=")
    if not sep or not kind or not target:
        raise UsageError(f"--link {text!r}: expected TYPE=TARGET, e.g. depends_on=auth/tokens/jwt")
    return kind, target


@app.command()
def show(
    ref: Ref,
    raw: Annotated[bool, typer.Option("--raw", help="Print the file text as stored.")] = False,
    at: Annotated[str | None, typer.Option("--at", help="As it was at this revision.")] = None,
    json: JsonOpt = False,
) -> None:
    """Show one entry by path, id, slug or title."""
    memory = common.memory()
    if at is not None:
        if raw:
            from ..secretscan import mask

            print(mask(memory.history.text_at(ref, at)), end="")
            return
        common.out(memory.history.show_at(ref, at), json, views.entry)
        return
    if raw:
        from ..entries import layout as tree, store
        from ..secretscan import mask

        print(mask(store.read_text(tree.file_for(memory.root, memory.resolve(ref)))), end="")
        return
    common.out(memory.get(ref), json, views.entry)


@app.command()
def edit(
    ref: Ref,
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    summary: Annotated[str | None, typer.Option("--summary", help="New summary.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="New type.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Replace tags (repeatable).")] = None,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="Replace aliases (repeatable).")] = None,
    importance: Annotated[int | None, typer.Option("--importance", callback=common.bounded(0, 100), help="0-100.")] = None,
    maturity: Annotated[str | None, typer.Option("--maturity", help="draft, validated or core.")] = None,
    body: Annotated[str | None, typer.Option("--body", help="New body ('-' reads stdin).")] = None,
    reason: ReasonOpt = None,
    json: JsonOpt = False,
) -> None:
    """Edit an entry: in $EDITOR (validated on save), or set fields with options."""
    memory = common.memory()
    fields = {"title": title, "summary": summary, "type": type, "tags": tag, "aliases": alias,
              "importance": importance, "maturity": maturity}
    if body is not None:
        fields["body"] = common.read_stdin(wait=True) if body == "-" else body
    if any(v is not None for v in fields.values()):
        done = memory.update(ref, reason=reason, **fields)
    else:
        from .editor import edit_in_editor
        from .output import note

        done = edit_in_editor(memory, ref, reason, tell=note)
    common.out(done, json, lambda e: print(f"saved {e.path}.md"))


STATUSES = ("active", "superseded", "archived", "all")


@app.command("list")
def list_(
    domain: Annotated[str | None, typer.Option("--domain", help="Only this domain.")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Only this topic.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="Only this type.")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only entries with this tag.")] = None,
    status: Annotated[str | None, typer.Option("--status", callback=common.choice(STATUSES), help="active, superseded, archived or all.")] = None,
    plain: common.PlainOpt = False,
    json: JsonOpt = False,
) -> None:
    """List entries, filtered by domain, topic, type, tag and status."""
    memory = common.memory()
    with views.progress("listing"):
        found = memory.entries(domain=domain, topic=topic, type=type, tag=tag, status=status)
    problems = memory.unreadable()
    common.out({"entries": [e.to_dict(body=False) for e in found], "count": len(found),
                "problems": [p.to_dict() for p in problems]} if json else found, json, views.entries)
    common.unreadable(problems)


@app.command()
def tree(json: JsonOpt = False) -> None:
    """Show domains, topics and entries as a tree with counts."""
    with views.progress("reading"):
        data = common.memory().tree()
    common.out(data, json, views.tree)
    common.unreadable(data["problems"])


@app.command()
def mv(
    ref: Ref,
    dest: Annotated[str, typer.Argument(help="A folder DOMAIN/TOPIC[/SUBTOPIC][/] (existing, for three parts), or a new entry path DOMAIN/TOPIC[/SUBTOPIC]/SLUG[.md].", metavar="DEST")],
    reason: ReasonOpt = None,
    json: JsonOpt = False,
) -> None:
    """Move an entry (its id stays; links to it are updated)."""
    with views.progress("relinking"):
        moved = common.memory().move(ref, dest, reason=reason)
    common.out(moved, json, lambda e: print(f"moved to {e.path}.md"))


@app.command()
def rm(
    ref: Ref,
    hard: Annotated[bool, typer.Option("--hard", help="Delete the file instead of archiving.")] = False,
    reason: ReasonOpt = None,
    json: JsonOpt = False,
) -> None:
    """Archive an entry (moves it to _archive/), or delete it with --hard."""
    gone = common.memory().remove(ref, hard=hard, reason=reason)
    verb = "deleted" if hard else f"archived to {gone.path}.md"
    common.out(gone, json, lambda e: print(f"{verb}"))


@app.command()
def link(
    ref: Ref,
    target: Annotated[str, typer.Argument(help="The related entry.", metavar="TARGET")],
    type: Annotated[str, typer.Option("--type", help="relates_to, depends_on, part_of, contradicts…")] = "relates_to",
    reason: ReasonOpt = None,
    json: JsonOpt = False,
) -> None:
    """Add a typed relation from REF to TARGET (both must exist)."""
    done = common.memory().link(ref, type, target, reason=reason)
    common.out(done, json, lambda e: print(f"linked {e.path} -{type}-> {target}"))


@app.command()
def unlink(
    ref: Ref,
    target: Annotated[str, typer.Argument(help="The related entry.", metavar="TARGET")],
    type: Annotated[str | None, typer.Option("--type", help="Only relations of this type.")] = None,
    reason: ReasonOpt = None,
    json: JsonOpt = False,
) -> None:
    """Remove relations from REF to TARGET."""
    done = common.memory().unlink(ref, target, type, reason=reason)
    common.out(done, json, lambda e: print(f"unlinked {e.path} -> {target}"))


@app.command()
def validate(
    fix: Annotated[bool, typer.Option("--fix", help="Give ids to entries that lack one.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    history: Annotated[bool, typer.Option(
        "--history", help="Also report secrets added by past commits (git log -p).")] = False,
    json: JsonOpt = False,
) -> None:
    """Check every file and relation; exits 10 when problems are found."""
    memory = common.memory()
    if fix:
        from ..entries.validate import fix_ids

        for path in fix_ids(memory.ws):
            print(f"gave an id to {path}.md")
    with views.progress("validating"):
        found = memory.validate()
        if history:
            from ..health.vetting import history_secrets

            found += history_secrets(memory.ws)
    common.out(found, json, views.problems)
    failing = [p for p in found if strict or p.severity == "error"]
    if failing:
        raise ProblemsFound(f"{len(failing)} problem(s) in {memory.root}")
    if not json:
        print(f"ok: {memory.root} is valid" + (f" ({len(found)} warning(s))" if found else ""))


@app.command()
def approve(
    refs: Annotated[list[str], typer.Argument(help="Entries (path, id, slug or title).")],
    json: JsonOpt = False,
) -> None:
    """Approve entries as they are now for briefings (with `[agents] require_approval`)."""
    from ..health.vetting import approve as approve_entries

    done = approve_entries(common.memory().ws, refs)
    common.out(done, json, lambda ds: [print(f"approved {d['path']}.md ({d['digest']})") for d in ds])


@app.command()
def templates(json: JsonOpt = False) -> None:
    """List the entry templates usable with `add --template`."""
    found = _templates() if common.STATE.root else _shipped()
    common.out(found, json, lambda ts: [print(f"{t.name:12} {t.description}") for t in ts])


def _templates() -> list[object]:
    from ..entries import templates as shipped

    return list(shipped.available(common.memory().root))


def _shipped() -> list[object]:
    from ..entries import templates as shipped
    from ..errors import NoRoot

    try:
        return _templates()
    except NoRoot:
        return list(shipped.available(None))
