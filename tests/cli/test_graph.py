"""`memtree graph`: Mermaid and DOT name every entry and relation; the HTML page, rendered in
headless Chromium from a file with no network, draws the nodes and edges, filters by domain and
type, zooms, and opens an entry on a click (and its neighbour from the entry's links)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import Run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture
def linked(run: Run) -> None:
    run("init")
    run("add", "Sign tokens", "-p", "auth/tokens", "-s", "RS256 keys", "-b", "See [[rotate-keys]].")
    run("add", "Rotate keys", "-p", "auth/keys", "--type", "how-to")
    run("add", "Pool size", "-p", "ops/db", "--link", "relates_to=auth/tokens/sign-tokens")
    run("link", "sign-tokens", "auth/keys/rotate-keys", "--type", "depends_on")
    run("add", "Old pool", "-p", "ops/db")
    run("rm", "old-pool")


def test_mermaid_and_dot(run: Run, linked: None) -> None:
    mermaid = run("graph").stdout
    assert mermaid.startswith("graph LR\n")
    assert len(re.findall(r'^  n\d+\["', mermaid, re.M)) == 3  # the archived entry is left out
    assert len(re.findall(r"-->\|(\w+)\|", mermaid)) == 3
    assert set(re.findall(r"-->\|(\w+)\|", mermaid)) == {"wikilink", "depends_on", "relates_to"}
    dot = run("graph", "--format", "dot").stdout
    assert '"auth/tokens/sign-tokens" -> "auth/keys/rotate-keys" [label="depends_on"];' in dot
    assert dot.startswith("digraph memtree {") and dot.rstrip().endswith("}")
    assert run("graph", "--format", "png").returncode == 2


PROBE = """<script>
(function(){
  var out={};
  out.nodes=document.querySelectorAll("#nodes g.node").length;
  out.edges=document.querySelectorAll("#edges line").length;
  var node=document.querySelector('g.node[data-id="auth/tokens/sign-tokens"]');
  node.dispatchEvent(new MouseEvent("click",{bubbles:true}));
  out.opened=document.querySelector("#entry h2").textContent;
  out.summary=(document.querySelector("#entry .summary")||{}).textContent;
  var rel=document.querySelector('#entry a.rel[data-id="auth/keys/rotate-keys"]');
  rel.dispatchEvent(new MouseEvent("click",{bubbles:true}));
  out.followed=document.querySelector("#entry h2").textContent;
  var box=document.querySelector('input[data-filter="domain"][value="ops"]');
  box.checked=false; box.dispatchEvent(new Event("change"));
  out.afterDomain=document.getElementById("counts").textContent;
  var type=document.querySelector('input[data-filter="type"][value="how-to"]');
  type.checked=false; type.dispatchEvent(new Event("change"));
  out.afterType=document.getElementById("counts").textContent;
  var before=window.memtreeGraph.state().k;
  document.getElementById("graph").dispatchEvent(new WheelEvent("wheel",{deltaY:-100,clientX:50,clientY:50,bubbles:true,cancelable:true}));
  out.zoomed=window.memtreeGraph.state().k>before;
  var pre=document.createElement("pre"); pre.id="probe"; pre.textContent=JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script></body>"""


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt-get install -y chromium")
def test_html_in_headless_chromium(run: Run, linked: None, tmp_path: Path) -> None:
    page = run("graph", "--format", "html").stdout
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "<link" not in page and " src=" not in page
    probed = tmp_path / "graph.html"
    probed.write_text(page.replace("</body>", PROBE, 1), encoding="utf-8")
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom",
         probed.as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stderr[-2000:]
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["nodes"] == 3 and result["edges"] == 3
    assert result["opened"] == "Sign tokens" and result["summary"] == "RS256 keys"
    assert result["followed"] == "Rotate keys"
    assert result["afterDomain"] == "2 entries, 2 links"
    assert result["afterType"] == "1 entries, 0 links"
    assert result["zoomed"] is True


@pytest.mark.parametrize("where", ["folder", "missing-parent"])
def test_output_that_cannot_be_a_file_is_one_line_exit_2(run: Run, linked: None, tmp_path: Path,
                                                         where: str) -> None:
    out = tmp_path if where == "folder" else tmp_path / "no-such-folder" / "graph.html"
    done = run("graph", "--format", "html", "-o", str(out))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"memtree: error: {out}: ") and "internal" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
