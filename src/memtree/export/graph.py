"""The relation graph of a tree: entries as nodes, relations and `[[wikilinks]]` between them as
typed edges, rendered as Mermaid, Graphviz DOT or one self-contained HTML page (graph_html.py).
Reads entries; writes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..entries import codec
from ..model import Entry

FORMATS = ("mermaid", "dot", "html")


@dataclass
class Graph:
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "edges": self.edges}


def build(entries: list[Entry]) -> Graph:
    """Nodes for the active and superseded entries; an edge for each relation or wikilink whose
    target is one of them (by path, id or slug), deduplicated."""
    shown = [e for e in entries if e.status.value != "archived"]
    by_ref: dict[str, str] = {}
    for item in shown:
        by_ref.setdefault(item.path.rsplit("/", 1)[-1], item.path)
    for item in shown:
        by_ref[item.id] = item.path
        by_ref[item.path] = item.path
    graph = Graph()
    seen: set[tuple[str, str, str]] = set()
    for item in sorted(shown, key=lambda e: e.path):
        graph.nodes.append({"id": item.path, "title": item.title, "domain": item.domain,
                            "type": item.type, "status": item.status.value,
                            "summary": item.summary, "body": item.body[:2000]})
        links = [(r.type, r.target) for r in item.relations]
        links += [("wikilink", t) for t in codec.wikilinks(item.body)]
        for kind, target in links:
            end = by_ref.get(target.removesuffix(".md"))
            if end and end != item.path and (item.path, end, kind) not in seen:
                seen.add((item.path, end, kind))
                graph.edges.append({"source": item.path, "target": end, "type": kind})
    return graph


def mermaid(graph: Graph) -> str:
    names = {n["id"]: f"n{i}" for i, n in enumerate(graph.nodes)}
    lines = ["graph LR"]
    for node in graph.nodes:
        label = node["title"].replace('"', "#quot;")
        lines.append(f'  {names[node["id"]]}["{label}"]')
    for edge in graph.edges:
        lines.append(f'  {names[edge["source"]]} -->|{edge["type"]}| {names[edge["target"]]}')
    return "\n".join(lines) + "\n"


def dot(graph: Graph) -> str:
    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    lines = ["digraph memtree {", "  rankdir=LR;", "  node [shape=box];"]
    for node in graph.nodes:
        lines.append(f"  {q(node['id'])} [label={q(node['title'])}];")
    for edge in graph.edges:
        lines.append(f"  {q(edge['source'])} -> {q(edge['target'])} [label={q(edge['type'])}];")
    return "\n".join(lines) + "\n}\n"


def html(graph: Graph, title: str) -> str:
    from .graph_html import page

    return page(graph.to_dict(), title)


def render(entries: list[Entry], fmt: str, root: Path) -> str:
    graph = build(entries)
    if fmt == "mermaid":
        return mermaid(graph)
    if fmt == "dot":
        return dot(graph)
    return html(graph, f"memtree graph: {root.resolve().parent.name}")
