"""Escalation (tier 4) on LoCoMo dev (run by hand; never part of the test suite).

Builds the memories as benchmarks/locomo.py does, asks every question (categories 1-4) through
retrieval alone, and, where the confidence gate says it is unsure, again with escalation. With a
model configured (`--config FILE` holding an `[llm]` table) it reports the recall escalation
reaches; without one it runs a loopback OpenAI-compatible server on 127.0.0.1 that answers
instantly with the candidates in the order given, so the figures are the plumbing's cost (no
model judgement: recall must not change). Also the ceiling: the share of misses whose evidence
is in retrieval's top 50.

    python benchmarks/escalation.py --data ../shared/data/locomo/locomo-dev.json [--config FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from locomo import build, norm_evidence, score

from memtree.config import Workspace
from memtree.retrieval import escalate, tiers

DEPTH = 50


class Echo(BaseHTTPRequestHandler):
    """Answers a chat completion at once: the candidates it was sent, in the order given."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        user = body["messages"][-1]["content"]
        paths = [json.loads(line)["path"] for line in user.split("Candidates:\n", 1)[-1].splitlines()
                 if line.startswith("{")]
        text = json.dumps({"ranked": [{"path": p, "why": "echo"} for p in paths], "rewrite": None})
        data = json.dumps({"choices": [{"message": {"content": text}}],
                           "usage": {"prompt_tokens": len(user) // 4, "completion_tokens": len(text) // 4}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def llm_table(config: Path | None, url: str, candidates: int) -> str:
    if config is None:
        table: dict[str, Any] = {"provider": "openai", "model": "loopback-echo", "base_url": url}
    else:
        table = tomllib.loads(config.read_text())["llm"]
    table = {**table, "candidates": candidates, "daily_tokens": 10**9, "escalate": True}
    return "\n[llm]\n" + "\n".join(f"{k} = {json.dumps(v) if not isinstance(v, bool) else str(v).lower()}"
                                   for k, v in table.items()) + "\n"


def turns_of(hits: tuple[Any, ...], paths: dict[str, str]) -> list[str]:
    out: list[str] = []
    for hit in hits:
        turn = paths.get(hit.path)
        if turn and turn not in out:
            out.append(turn)
    return out


def ask(ws: Workspace, question: str, paths: dict[str, str], gold: list[str], row: dict[str, Any]) -> None:
    started = time.perf_counter()
    plain = tiers.query(ws, question, DEPTH)
    row["plain_ms"] = (time.perf_counter() - started) * 1000
    ranked = turns_of(plain.hits, paths)
    row["plain"] = score(ranked, gold)
    row["miss10"] = not set(ranked[:10]) & set(gold)
    row["in50"] = bool(set(ranked[:50]) & set(gold))
    row["escalate"] = plain.escalate
    row["llm"] = row["plain"]
    if not plain.escalate:
        return
    started = time.perf_counter()
    found = escalate.escalate(ws, plain, DEPTH, tiers.Filters())
    row["added_ms"] = (time.perf_counter() - started) * 1000
    row["failed"] = "escalation failed" in found.reason
    started = time.perf_counter()
    escalate.escalate(ws, plain, DEPTH, tiers.Filters())
    row["cached_ms"] = (time.perf_counter() - started) * 1000
    row["llm"] = score(turns_of(found.hits, paths), gold)


def mean(rows: list[dict[str, Any]], key: str) -> dict[str, float]:
    return {k: round(sum(r[key][k] for r in rows) / len(rows), 4) if rows else 0.0
            for k in ("r@5", "r@10", "mrr")}


def ms(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {"mean": round(statistics.mean(ordered), 2), "median": round(statistics.median(ordered), 2),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2)}


def run(data: list[dict[str, Any]], config: Path | None, candidates: int, url: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for sample in data:
        with tempfile.TemporaryDirectory(prefix="memtree-escalation-") as tmp:
            memory, paths = build(sample, Path(tmp) / "memory")
            with open(memory.root / "config.toml", "a", encoding="utf-8") as handle:
                handle.write(llm_table(config, url, candidates))
            ws = Workspace.at(memory.root)
            known = set(paths.values())
            for qa in sample["qa"]:
                gold = [t for t in norm_evidence(qa.get("evidence", [])) if t in known]
                if gold and int(qa["category"]) in (1, 2, 3, 4):
                    row: dict[str, Any] = {}
                    ask(ws, str(qa["question"]), paths, gold, row)
                    rows.append(row)
    gated = [r for r in rows if r["escalate"]]
    misses = [r for r in rows if r["miss10"]]
    return {
        "model": "loopback echo (no model judgement: the plumbing's cost)" if config is None else str(config),
        "questions": len(rows), "escalated_by_gate": len(gated),
        "retrieval_alone": mean(rows, "plain"), "with_escalation": mean(rows, "llm"),
        "escalated_questions": {"retrieval_alone": mean(gated, "plain"), "with_escalation": mean(gated, "llm")},
        "failed_escalations": sum(1 for r in gated if r.get("failed")),
        "misses_at_10": len(misses),
        "misses_with_evidence_in_top_50": round(sum(r["in50"] for r in misses) / max(1, len(misses)), 4),
        "misses_escalated_by_gate": sum(1 for r in misses if r["escalate"]),
        "escalated_misses_with_evidence_in_top_50": sum(1 for r in misses if r["escalate"] and r["in50"]),
        "query_ms": ms([r["plain_ms"] for r in rows]),
        "escalation_added_ms": ms([r["added_ms"] for r in gated]),
        "escalation_cached_ms": ms([r["cached_ms"] for r in gated]),
        "candidates": candidates,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", required=True, type=Path, help="a LoCoMo-format JSON file")
    parser.add_argument("--config", type=Path, help="a config.toml whose [llm] table names the model")
    parser.add_argument("--candidates", type=int, default=DEPTH, help="candidates the model re-ranks")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        report = run(json.loads(args.data.read_text(encoding="utf-8")), args.config, args.candidates,
                     f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
