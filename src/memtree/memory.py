"""`Memory`: the one public object, a facade. CLI commands, MCP tools and agent hooks call it.

It reads, queries and writes entries itself (the layout and writing are entries/, retrieval is
retrieval/) and composes three services built on first use from its Workspace: `index`,
`history` and `lifecycle`. It holds no CLI or rendering concerns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from . import config, secretscan
from .config import Workspace
from .entries import codec, layout as tree, store
from .errors import InvalidEntry, NotFound
from .model import Change, Entry, Maturity, Problem, Relation, Source, Status

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    import datetime as dt
    from typing import Any

    from .history.service import History
    from .index.db import Index, SyncStats
    from .lifecycle.service import Lifecycle
    from .model import Result
    from .retrieval.packs import Pack

CONFIG_TEXT = "# memtree configuration: see docs/format.md\nformat = 1\n"


class Memory:
    """A memory root on disk, plus who is acting on it (for provenance)."""

    def __init__(
        self,
        root: Path,
        settings: config.Settings | None = None,
        actor: str | None = None,
        tool: str = "cli",
        session: str | None = None,
    ) -> None:
        self.ws = Workspace.at(root, settings, actor, tool, session)
        self._history: History | None = None
        self._lifecycle: Lifecycle | None = None
        self.setup: dict[str, Any] = {}

    @property
    def root(self) -> Path:
        return self.ws.root

    # ------------------------------------------------------------ services

    @property
    def index(self) -> Index:
        """The derived search index of this root (rebuild, watch, reads)."""
        from .index.db import open_index

        return open_index(self.root)

    @property
    def history(self) -> History:
        """Git history: log, diff, why, restore, undo, commit, sync."""
        if self._history is None:
            from .history.service import History

            self._history = History(self.ws)
        return self._history

    @property
    def lifecycle(self) -> Lifecycle:
        """Pin, feedback, supersession, maturity, consolidation, anchors, summaries, stats."""
        if self._lifecycle is None:
            from .lifecycle.service import Lifecycle

            self._lifecycle = Lifecycle(self.ws)
        return self._lifecycle

    # ------------------------------------------------------------ opening

    @classmethod
    def open(cls, root: str | Path | None = None, **who: Any) -> Memory:
        """Open the memory at `root`, or the nearest `.memory/` above the working directory."""
        found = config.find_root(root)
        store.settle(found)
        return cls(found, config.load_settings(found), **who)

    @classmethod
    def init(cls, folder: str | Path | None = None, as_root: bool = False,
             mode: str | None = None, autocommit: bool | None = None, **who: Any) -> Memory:
        """Create `<folder>/.memory/` (or `folder` itself with `as_root`); see docs/history.md."""
        base = Path(folder or ".").expanduser().resolve()
        root = base if as_root else base / config.ROOT_NAME
        root.mkdir(parents=True, exist_ok=True)
        if not (root / config.CONFIG_NAME).exists():
            store.atomic_write(root / config.CONFIG_NAME, CONFIG_TEXT)
        from .entries import ignores

        ignores.ensure(root)  # an older root gets the lines it lacks (.obsidian/, .trash/)
        memory = cls(root, config.load_settings(root), **who)
        from .history.service import set_up

        done = set_up(memory.ws, mode, autocommit)
        memory.ws = dataclasses.replace(memory.ws, settings=done.settings)
        memory.setup = done.to_dict()  # what init committed, for `memtree init` to report
        return memory

    # ------------------------------------------------------------ reading

    def load(self, archived: bool = True) -> tuple[list[Entry], list[Problem]]:
        return store.load_all(self.root, archived=archived)

    def resolve(self, ref: str) -> str:
        """The memory path of an entry named by path, id, slug or title (unique)."""
        from .index.refs import resolve

        return resolve(self.root, ref)

    def get(self, ref: str) -> Entry:
        return store.read(self.root, self.resolve(ref))

    def entries(
        self,
        domain: str | None = None,
        topic: str | None = None,
        type: str | None = None,
        tag: str | None = None,
        status: str | None = None,
    ) -> list[Entry]:
        """Entries matching every filter given; archived ones only when status asks for them."""
        found, _ = self.load(archived=status in ("archived", "all"))
        out = []
        for item in found:
            if domain and item.domain != domain:
                continue
            if topic and item.topic != topic:
                continue
            if type and item.type != type:
                continue
            if tag and tag not in item.tags:
                continue
            if status not in (None, "all") and item.status.value != status:
                continue
            out.append(item)
        return out

    def catalog(self) -> list[Entry]:
        """Every unarchived entry's frontmatter from the fresh index, bodies left empty: far
        cheaper than `entries()`. Pinned and core entries' files (briefings) are re-checked."""
        idx = self.index
        idx.sync()
        found = idx.entries("archived=0 ORDER BY path")
        if idx.recheck([e.path for e in found if e.pinned or e.maturity is Maturity.CORE]):
            found = idx.entries("archived=0 ORDER BY path")
        return found

    def tree(self) -> dict[str, Any]:
        """Domains, topics and entries as a nested mapping with counts."""
        entries, _ = self.load(archived=False)
        return {**tree.nest(self.root.name, entries), "problems": self.unreadable()}

    def unreadable(self) -> list[Problem]:
        """Files in the tree that cannot be read as entries (from the fresh index)."""
        self.index.sync()
        return self.index.unreadable()

    def validate(self) -> list[Problem]:
        from .entries.validate import check
        from .health.vetting import problems  # security findings (git-aware: not in entries/)

        return sorted(check(self.ws) + problems(self.ws, self.load()[0]), key=lambda p: (p.path, p.line))

    # ------------------------------------------------------------ retrieval

    def query(self, text: str, limit: int = 10, include_all: bool = False, domain: str | None = None,
              type: str | None = None, tag: str | None = None, now: dt.datetime | None = None,
              llm: bool | None = False) -> Result:
        """Tiered retrieval over the project (and personal) memory and the confidence gate, then
        the model if unsure and `llm` (None: [llm]); `now` ages entries."""
        from .retrieval import scopes, tiers
        chosen = tiers.Filters(include_all, domain, type, tag)
        if llm is False:
            return scopes.query(self.ws, text, limit=limit, filters=chosen, now=now)
        from .retrieval import escalate
        return escalate.query(self.ws, text, limit=limit, filters=chosen, llm=llm, now=now)

    def reindex(self, progress: Any = None, full: bool = True) -> SyncStats:
        """Rebuild the search index from the files (or only bring it up to date)."""
        return self.index.sync(progress=progress, rebuild=full, full=True)

    def context(self, text: str, budget: int = 800, limit: int = 8, exclude: Collection[str] = (),
                now: dt.datetime | None = None, min_evidence: float = 0.0) -> Pack:
        """A context pack for an agent prompt: best entries within `budget` tokens."""
        from .retrieval import packs

        return packs.build(self.ws, text, budget, limit, exclude, now, min_evidence)

    # ------------------------------------------------------------ writing

    def add(
        self,
        title: str,
        path: str,
        body: str | None = None,
        *,
        summary: str = "",
        type: str | None = None,
        tags: Sequence[str] = (),
        aliases: Sequence[str] = (),
        importance: int | None = None,
        maturity: str | None = None,
        template: str | None = None,
        slug: str | None = None,
        relations: Iterable[tuple[str, str]] = (),
        files: Sequence[str] = (),
        commit: str | None = None,
        pinned: bool = False,
        force: bool = False,
        reason: str | None = None,
        supersedes: str | None = None,
        anchors: Sequence[str] = (),
    ) -> Entry:
        """Create an entry at `path` (DOMAIN/TOPIC[/SUBTOPIC]); refuses to replace unless `force`.

        `anchors` (`PATH[:START-END]` or `PATH#SYMBOL`) anchor it to code and `supersedes` names
        an older entry it replaces; both are checked before anything is written."""
        old = self.resolve(supersedes) if supersedes else None
        made = self.lifecycle.anchors_for(anchors)
        item = self._create(title, path, body, summary=summary, type=type, tags=tags,
                            aliases=aliases, importance=importance, maturity=maturity,
                            template=template, slug=slug, relations=relations, files=files,
                            commit=commit, pinned=pinned, force=force, reason=reason)
        if made:
            item = self.lifecycle.anchor_all(item.path, made, reason)
        if old is not None:
            item = self.lifecycle.supersede(old, item.path, reason or f"{item.title} replaces it")[1]
        return item

    def _create(self, title: str, path: str, body: str | None, *, summary: str, type: str | None,
                tags: Sequence[str], aliases: Sequence[str], importance: int | None,
                maturity: str | None, template: str | None, slug: str | None,
                relations: Iterable[tuple[str, str]], files: Sequence[str], commit: str | None,
                pinned: bool, force: bool, reason: str | None) -> Entry:
        if not title or not title.strip():
            raise InvalidEntry("title: must not be empty")
        rel = tree.entry_path(path, slug or tree.slugify(title))
        defaults: dict[str, Any] = {}
        if template:
            from .entries import templates

            chosen = templates.get(template, self.root)
            defaults = dict(chosen.defaults)
            if not body:
                body = chosen.fill(title.strip(), codec.now_iso()[:10])
        rels = tuple(Relation(t, self._relation_target(target)) for t, target in relations)
        stamp = codec.now_iso()
        meta = {
            "id": codec.new_id(),
            "title": title.strip(),
            "summary": summary or defaults.get("summary", ""),
            "type": type or defaults.get("type", "fact"),
            "tags": _merge(defaults.get("tags") or [], tags),
            "aliases": _merge(defaults.get("aliases") or [], aliases),
            "importance": importance if importance is not None else defaults.get("importance", 50),
            "maturity": maturity or ("core" if pinned else defaults.get("maturity", "draft")),
            "pinned": pinned,
            "created": stamp,
            "updated": stamp,
        }
        item = codec.from_mapping(meta, body or "", rel)
        source = Source(self.ws.actor, self.ws.session, commit, tuple(files))
        item = secretscan.guard(self.ws.settings, dataclasses.replace(item, relations=rels, source=source))
        with store.lock(self.root):
            if force and tree.file_for(self.root, rel).exists():
                old = store.read(self.root, rel)
                item = dataclasses.replace(item, id=old.id or item.id, created=old.created or stamp)
            store.write(self.root, item, overwrite=force)
        self._record(Change("add", (rel,), f"add {rel}: {item.title}", reason))
        return item

    def update(self, ref: str, reason: str | None = None, **fields: Any) -> Entry:
        """Change frontmatter fields (or `body`) of an entry; bumps `updated`."""
        rel = self.resolve(ref)
        with store.lock(self.root):
            old = store.read(self.root, rel)
            meta = _meta_of(old)
            body = fields.pop("body", old.body)
            for key, value in fields.items():
                if value is not None:
                    meta[key] = value
            meta["updated"] = codec.now_iso()
            new = codec.from_mapping(meta, body, rel)
            new = dataclasses.replace(new, relations=old.relations, source=old.source)
            if "relations" in fields and fields["relations"] is not None:
                new = dataclasses.replace(new, relations=tuple(fields["relations"]))
            new = secretscan.guard(self.ws.settings, new, old)
            store.write(self.root, new, overwrite=True)
        changed = ", ".join(sorted(k for k, v in fields.items() if v is not None)) or "body"
        self._record(Change("update", (rel,), f"update {rel}: {changed}", reason))
        _count_update(self.root, new.id)
        return new

    def replace_text(self, ref: str, text: str, reason: str | None = None,
                     expect: str | None = None) -> Entry:
        """Replace an entry's whole file text after validating it (used by `edit`, which can
        repair a file that does not parse). `expect`: the hash of the text the new one was
        made from; a file changed since is never overwritten (StaleCopy)."""
        rel = ref if expect is not None else self.resolve(ref)
        new = codec.parse(text, rel)
        with store.lock(self.root):
            store.check_unchanged(self.root, rel, expect)
            old = store.old_entry(self.root, rel)
            if old is not None and new.id != old.id:
                raise InvalidEntry(f"{rel}: field 'id' must not change (was {old.id!r})")
            if old is not None and codec.render(new) == codec.render(old):
                return old
            new = secretscan.guard(self.ws.settings, dataclasses.replace(new, updated=codec.now_iso()), old)
            store.write(self.root, new, overwrite=True)
        self._record(Change("edit", (rel,), f"edit {rel}", reason))
        _count_update(self.root, new.id)
        return new

    def move(self, ref: str, dest: str, reason: str | None = None) -> Entry:
        """Move an entry to a folder or a new path (`layout.destination`); fixes inbound links."""
        from .entries import links

        old_rel = self.resolve(ref)
        new_rel = tree.destination(self.root, dest, old_rel.rsplit("/", 1)[-1])
        if new_rel == old_rel:
            return store.read(self.root, old_rel)
        touched = links.move(self.ws, old_rel, new_rel)
        paths = (old_rel, new_rel, *touched)
        self._record(Change("move", paths, f"move {old_rel} -> {new_rel}", reason))
        return store.read(self.root, new_rel)

    def remove(self, ref: str, hard: bool = False, reason: str | None = None) -> Entry:
        """Archive an entry (into `_archive/`, status archived) or delete it with `hard`."""
        rel = self.resolve(ref)
        if hard:  # one transaction with the relations and links to it (entries/links.py)
            from .entries import links

            old = store.read(self.root, rel)
            touched = links.delete(self.ws, rel)
            self._record(Change("delete", (rel, *touched), f"delete {rel}: {old.title}", reason))
            return old
        with store.lock(self.root):
            old = store.read(self.root, rel)
            if rel.startswith(tree.ARCHIVE_DIR + "/"):
                return old
            new_rel = f"{tree.ARCHIVE_DIR}/{rel}"
            archived = dataclasses.replace(
                old, path=new_rel, status=Status.ARCHIVED, updated=codec.now_iso()
            )
            store.check_move(self.root, rel, new_rel)
            from .entries import transaction

            transaction.commit(self.root, f"archive {rel}", [archived], (rel,))
        self._record(Change("archive", (rel, new_rel), f"archive {rel}: {old.title}", reason))
        return archived

    def link(self, ref: str, rel_type: str, target: str, reason: str | None = None) -> Entry:
        """Add a typed relation from one entry to another; both must exist."""
        rel = self.resolve(ref)
        relation = Relation(_relation_type(rel_type), self._relation_target(target))
        if relation.target == rel:
            raise InvalidEntry(f"link {ref!r}: an entry cannot relate to itself")
        from .entries.links import with_relation

        with store.lock(self.root):
            old = store.read(self.root, rel)
            new = with_relation(old, relation)
            if new is old:
                return old
            store.write(self.root, new, overwrite=True)
        summary = f"link {rel} -{relation.type}-> {relation.target}"
        self._record(Change("link", (rel,), summary, reason))
        return new

    def unlink(
        self, ref: str, target: str, rel_type: str | None = None, reason: str | None = None
    ) -> Entry:
        """Remove relations from an entry to `target` (of one type, or all types)."""
        rel = self.resolve(ref)
        names = {target.removesuffix(".md")}
        try:
            target_rel = self.resolve(target)
            names |= {target_rel, store.read(self.root, target_rel).id}
        except NotFound:
            pass  # a dangling relation can still be removed by its literal target
        with store.lock(self.root):
            old = store.read(self.root, rel)
            keep = tuple(
                r for r in old.relations
                if not (r.target in names and (rel_type is None or r.type == rel_type))
            )
            if len(keep) == len(old.relations):
                kind = f" of type {rel_type}" if rel_type else ""
                raise NotFound(f"{rel}: no relation to {target!r}{kind}")
            new = dataclasses.replace(old, relations=keep, updated=codec.now_iso())
            store.write(self.root, new, overwrite=True)
        self._record(Change("unlink", (rel,), f"unlink {rel} -> {target}", reason))
        return new

    def _relation_target(self, target: str) -> str:
        """Targets are stored as the memory path of an existing entry (or kept as an id)."""
        rel = self.resolve(target)
        return rel.removeprefix(tree.ARCHIVE_DIR + "/")

    # ------------------------------------------------------------ history hooks

    def _record(self, change: Change) -> None:
        from .history.service import record

        record(self.ws, change)


def _count_update(root: Path, entry_id: str) -> None:
    """An update is a usage signal for the lifecycle (kept outside the entry file)."""
    from .lifecycle import signals

    if entry_id:
        signals.record(root, entry_id, "update")


def _relation_type(value: str) -> str:
    name = value.strip().lower().replace("-", "_")
    if not name or not name.replace("_", "").isalnum():
        raise InvalidEntry(f"relation type {value!r}: use a word like relates_to or depends_on")
    return name


def _merge(first: Iterable[str], second: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in (*first, *second):
        if item and item not in out:
            out.append(item)
    return out


def _meta_of(item: Entry) -> dict[str, Any]:
    meta = item.to_dict(body=False)
    meta.pop("path", None)
    return meta


__all__ = ["Memory", "Maturity", "Status"]
