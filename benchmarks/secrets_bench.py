"""Secret detection benchmark: the fake corpus through the write and read paths, false positives,
and the cost of scanning one write (memtree's scanner against detect-secrets, when installed).

Write paths: each case through Memory.add (refused by default; with on_write = "mask", is the
secret on disk?). Read paths: every case written into a file by hand, then the installed
`memtree` in subprocesses: query --json, context (json and text), show (plain, --raw, --json),
the SessionStart and UserPromptSubmit hooks, and MCP query, get and entry resources.
False positives: .memory-example, memtree's source, the Python standard library, and the commit
messages of benchmarks' coding data. Usage: python benchmarks/secrets_bench.py [--stdlib N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from memtree import Memory, secretscan
from memtree.errors import SecretFound

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MEMTREE = Path(sys.executable).with_name("memtree")
CORPUS = json.loads((REPO / "tests/fixtures/secrets/corpus.json").read_text())
CODING = Path("/work/shared/data/coding")


def writes(base: Path) -> dict[str, int]:
    memory = Memory.init(base / "w", autocommit=False)
    refused = stored_unmasked = 0
    for n, case in enumerate(CORPUS):
        try:
            memory.add(f"Case {n}", "ops/cases", case["text"])
        except SecretFound:
            refused += 1
    os.environ["MEMTREE_SECRETS"] = "mask"
    try:
        for n, case in enumerate(CORPUS):
            item = memory.add(f"Masked {n}", "ops/masked", case["text"])
            stored_unmasked += case["secret"] in (memory.root / f"{item.path}.md").read_text()
    finally:
        del os.environ["MEMTREE_SECRETS"]
    return {"cases": len(CORPUS), "refused": refused, "stored_unmasked_in_mask_mode": stored_unmasked}


def run(cwd: Path, *args: str, stdin: str = "") -> str:
    out = subprocess.run([str(MEMTREE), *args], cwd=cwd, input=stdin, capture_output=True,
                         text=True, timeout=120)
    return out.stdout


def reads(base: Path) -> dict[str, object]:
    project = base / "r"
    memory = Memory.init(project, autocommit=False)
    folder = memory.root / "ops" / "leaks"
    folder.mkdir(parents=True)
    for n, case in enumerate(CORPUS):
        (folder / f"leak-{n:02d}.md").write_text(
            f"---\nid: leak{n:06d}\ntitle: Deploy credentials {n}\nsummary: how the deploy job logs "
            f"in\npinned: {'true' if n % 10 == 0 else 'false'}\n---\n{case['text']}\n")
    outputs: dict[str, str] = {
        "query": run(project, "query", "deploy credentials", "--json", "--limit", "50"),
        "context": run(project, "context", "deploy credentials", "--json", "--budget", "20000",
                       "--limit", "50"),
        "context-text": run(project, "context", "deploy credentials", "--budget", "20000",
                            "--limit", "50"),
        "hook-start": run(project, "hook", "claude-code", "SessionStart", stdin=json.dumps(
            {"session_id": "s", "cwd": str(project), "hook_event_name": "SessionStart"})),
    }
    for n in range(len(CORPUS)):
        ref = f"ops/leaks/leak-{n:02d}"
        for form in ((), ("--raw",), ("--json",)):
            outputs[f"show{''.join(form)} {n}"] = run(project, "show", ref, *form)
        outputs[f"hook-prompt {n}"] = run(project, "hook", "claude-code", "UserPromptSubmit",
                                          stdin=json.dumps({"session_id": f"s{n}", "cwd": str(project),
                                                            "hook_event_name": "UserPromptSubmit",
                                                            "prompt": f"deploy credentials {n} log in"}))
    outputs.update(mcp_reads(project))
    leaked = {}
    for name, text in outputs.items():
        kinds = [c["kind"] for c in CORPUS if c["secret"] in text
                 or c["secret"].replace("\n", "\\n") in text]
        if kinds:
            leaked[name] = kinds
    masked = sum(text.count("[secret masked:") for text in outputs.values())
    return {"outputs_read": len(outputs), "masks_shown": masked,
            "returned_unmasked": sum(len(v) for v in leaked.values()), "leaks": leaked}


def mcp_reads(project: Path) -> dict[str, str]:
    import anyio
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(command=str(MEMTREE), args=["mcp"], cwd=str(project),
                                   env={k: v for k, v in os.environ.items()
                                        if k in ("HOME", "PATH") or k.startswith("MEMTREE_")})

    async def main() -> dict[str, str]:
        out: dict[str, str] = {}
        with open(os.devnull, "w") as quiet:
            async with stdio_client(params, errlog=quiet) as (read, write):
                async with ClientSession(read, write) as s:
                    await s.initialize()
                    for n in range(len(CORPUS)):
                        ref = f"ops/leaks/leak-{n:02d}"
                        got = await s.call_tool("get", {"ref": ref})
                        out[f"mcp-get {n}"] = json.dumps(got.structured_content)
                        found = await s.call_tool("query", {"text": f"deploy credentials {n}",
                                                            "budget": 4000, "limit": 5})
                        out[f"mcp-query {n}"] = json.dumps(found.structured_content)
                        res = await s.read_resource(f"memtree://entry/{ref}")
                        out[f"mcp-resource {n}"] = "".join(getattr(c, "text", "")
                                                           for c in res.contents)
        return out

    result: dict[str, str] = anyio.run(main)
    return result


def false_positives(stdlib_files: int) -> dict[str, object]:
    sets = {
        ".memory-example": sorted((REPO / ".memory-example").rglob("*.md")),
        "memtree source": [p for p in sorted((REPO / "src").rglob("*.py"))
                           if p.name != "secretscan.py"],
        "python stdlib": sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))[:stdlib_files],
    }
    out: dict[str, object] = {}
    for name, files in sets.items():
        hits = [(f.name, x.kind, x.value[:40]) for f in files
                for x in secretscan.scan(f.read_text(errors="replace"), ())]
        out[name] = {"files": len(files), "findings": len(hits), "examples": hits[:8]}
    messages = [json.loads(line) for d in sorted(CODING.glob("*/commits.jsonl"))
                for line in d.read_text().splitlines()] if CODING.is_dir() else []
    hits = [(m["sha"][:8], x.kind, x.value[:40]) for m in messages
            for x in secretscan.scan(f"{m['title']}\n{m['body']}", ())]
    out["commit messages"] = {"texts": len(messages), "findings": len(hits), "examples": hits[:8]}
    return out


def speed() -> dict[str, object]:
    texts = [p.read_text() for p in sorted((REPO / ".memory-example").rglob("*.md"))]
    texts += [c["text"] for c in CORPUS]
    secretscan.scan("warm up", ())
    times = []
    for text in texts:
        start = time.perf_counter()
        secretscan.scan(text, ())
        times.append((time.perf_counter() - start) * 1e6)
    import re

    re.purge()  # the compile cost a fresh process pays
    start = time.perf_counter()
    secretscan._COMPILED.clear()
    secretscan._patterns()
    out: dict[str, object] = {"memtree_compile_ms": round((time.perf_counter() - start) * 1e3, 2),
                              "memtree_scan_us_p50": round(statistics.median(times), 1),
                              "memtree_scan_us_max": round(max(times), 1)}
    out.update(detect_secrets_speed(texts))
    return out


def detect_secrets_speed(texts: list[str]) -> dict[str, object]:
    start = time.perf_counter()
    try:
        from detect_secrets.core.scan import scan_line
        from detect_secrets.settings import default_settings
    except ImportError:
        return {"detect_secrets": "not installed"}
    imported = (time.perf_counter() - start) * 1e3
    times, found = [], 0
    with default_settings():
        list(scan_line("warm up"))
        for text in texts:
            start = time.perf_counter()
            hits = [s for line in text.splitlines() for s in scan_line(line)]
            times.append((time.perf_counter() - start) * 1e6)
        for case in CORPUS:
            found += any(True for line in case["text"].splitlines() for _ in scan_line(line))
    return {"detect_secrets_import_ms": round(imported, 1),
            "detect_secrets_scan_us_p50": round(statistics.median(times), 1),
            "detect_secrets_scan_us_max": round(max(times), 1),
            "detect_secrets_corpus_found": f"{found}/{len(CORPUS)}", "_": len(hits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdlib", type=int, default=400, help="stdlib modules to scan")
    args = parser.parse_args()
    kinds = sorted({c["kind"] for c in CORPUS})
    report: dict[str, object] = {"corpus": {"cases": len(CORPUS), "kinds": len(kinds)}}
    found = sum(any(f.kind == c["kind"] for f in secretscan.scan(c["text"], ())) for c in CORPUS)
    report["corpus"] = {**report["corpus"], "detected": found}  # type: ignore[dict-item]
    with tempfile.TemporaryDirectory(prefix="memtree-secrets-") as tmp:
        report["writes"] = writes(Path(tmp))
        report["reads"] = reads(Path(tmp))
    report["false_positives"] = false_positives(args.stdlib)
    report["speed"] = speed()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
