"""The relation graph as one self-contained HTML page: no network, no library; an SVG laid out
by a small force simulation, with pan (drag), zoom (wheel or buttons), filters by domain and
entry type, and a click on a node opening the entry (title, path, summary, body, relations that
click through to their neighbours)."""

from __future__ import annotations

import html
import json
from typing import Any

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
<style>
body{margin:0;font:14px system-ui,sans-serif;display:flex;height:100vh;color:#222}
#side{width:300px;overflow:auto;border-right:1px solid #ddd;padding:8px;box-sizing:border-box}
#main{flex:1;position:relative}
svg{width:100%;height:100%;cursor:grab;background:#fafafa}
.edge{stroke:#999;stroke-width:1.2}
.edge-label{font-size:9px;fill:#777}
.node circle{stroke:#fff;stroke-width:1.5;cursor:pointer}
.node text{font-size:11px;pointer-events:none}
.node.selected circle{stroke:#000;stroke-width:3}
#entry h2{font-size:16px;margin:8px 0}
#entry pre{white-space:pre-wrap;font-size:12px;background:#f3f3f3;padding:6px}
#zoom{position:absolute;right:8px;top:8px}
fieldset{margin:0 0 8px 0}
a.rel{cursor:pointer;color:#06c}
</style></head>
<body>
<div id="side">
<strong>__TITLE__</strong>
<div id="counts"></div>
<fieldset id="domains"><legend>domain</legend></fieldset>
<fieldset id="types"><legend>type</legend></fieldset>
<div id="entry"><p>Click a node to open its entry. Drag to pan, wheel to zoom.</p></div>
</div>
<div id="main">
<div id="zoom"><button id="zin">+</button><button id="zout">&minus;</button><button id="zfit">
  fit</button></div>
<svg id="graph"><defs><marker id="arrow" viewBox="0 0 10 10" refX="18" refY="5" markerWidth="6"
markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#999"/></marker></defs>
<g id="view"><g id="edges"></g><g id="nodes"></g></g></svg>
</div>
<script type="application/json" id="data">__DATA__</script>
<script>
(function(){
"use strict";
var data=JSON.parse(document.getElementById("data").textContent);
var NS="http://www.w3.org/2000/svg", nodes=data.nodes, edges=data.edges, byId={};
var palette=["#4e79a7","#f28e2b","#e15759","#76b7b2","#59a14f","#edc948","#b07aa1","#ff9da7",
  "#9c755f","#bab0ac"];
var domains=[], types=[];
nodes.forEach(function(n,i){byId[n.id]=n; if(domains.indexOf(n.domain)<0)domains.push(n.domain);
  if(types.indexOf(n.type)<0)types.push(n.type);
  var a=2*Math.PI*i/Math.max(nodes.length,1), r=40+8*Math.sqrt(nodes.length);
  n.x=r*Math.cos(a); n.y=r*Math.sin(a); n.vx=0; n.vy=0;});
function colour(d){return palette[domains.indexOf(d)%palette.length];}
// a bounded force layout: repulsion, springs along edges, a pull to the centre
var steps=nodes.length>1500?40:nodes.length>400?120:300;
for(var s=0;s<steps;s++){
  var heat=1-s/steps;
  for(var i=0;i<nodes.length;i++){var a=nodes[i];
    for(var j=i+1;j<nodes.length;j++){var b=nodes[j],dx=a.x-b.x,dy=a.y-b.y,d2=dx*dx+dy*dy+0.01;
      if(d2>90000)continue; var f=900/d2; a.vx+=dx*f;a.vy+=dy*f;b.vx-=dx*f;b.vy-=dy*f;}}
  edges.forEach(function(e){var a=byId[e.source],b=byId[e.target],dx=b.x-a.x,dy=b.y-a.y,
    d=Math.sqrt(dx*dx+dy*dy)+0.01,f=(d-80)*0.02; a.vx+=dx/d*f;a.vy+=dy/d*f;b.vx-=dx/d*f;b.vy-=dy/d*f;});
  nodes.forEach(function(n){n.vx-=n.x*0.002;n.vy-=n.y*0.002;
    n.x+=Math.max(-20,Math.min(20,n.vx))*heat; n.y+=Math.max(-20,Math.min(20,n.vy))*heat; n.vx*=0.5;
  n.vy*=0.5;});
}
function el(tag,attrs,parent){var e=document.createElementNS(NS,tag);
  for(var k in attrs)e.setAttribute(k,attrs[k]); parent.appendChild(e); return e;}
var gEdges=document.getElementById("edges"), gNodes=document.getElementById("nodes");
edges.forEach(function(e){var a=byId[e.source],b=byId[e.target];
  e.el=el("line",{"class":"edge","x1":a.x,"y1":a.y,"x2":b.x,"y2":b.y,"marker-end":"url(#arrow)",
    "data-source":e.source,"data-target":e.target,"data-type":e.type},gEdges);});
nodes.forEach(function(n){var g=el("g",{"class":"node","data-id":n.id,"data-domain":n.domain,
    "data-type":n.type,"transform":"translate("+n.x+","+n.y+")"},gNodes);
  el("circle",{"r":n.status==="active"?7:5,"fill":colour(n.domain)},g);
  var t=el("text",{"x":9,"y":4},g); t.textContent=n.title;
  var tip=el("title",{},g); tip.textContent=n.id;
  g.addEventListener("click",function(ev){ev.stopPropagation();open(n.id);}); n.el=g;});
function open(id){var n=byId[id]; if(!n)return;
  nodes.forEach(function(m){m.el.classList.toggle("selected",m.id===id);});
  var box=document.getElementById("entry"); box.innerHTML="";
  function add(tag,text,cls){var e=document.createElement(tag); e.textContent=text;
    if(cls)e.className=cls; box.appendChild(e); return e;}
  add("h2",n.title); add("div",n.id+".md","path"); add("div",
  n.type+" \\u00b7 "+n.status+" \\u00b7 "+n.domain);
  if(n.summary)add("p",n.summary,"summary");
  edges.forEach(function(e){var other=e.source===id?e.target:e.target===id?e.source:null;
    if(!other)return; var p=add("div","");
    p.appendChild(document.createTextNode((e.source===id?"\\u2192 ":"\\u2190 ")+e.type+" "));
    var a=document.createElement("a"); a.className="rel"; a.textContent=byId[other].title;
    a.setAttribute("data-id",other); a.addEventListener("click",function(){open(other);});
   p.appendChild(a);});
  if(n.body)add("pre",n.body);
  location.hash=encodeURIComponent(id);}
function checks(box,values,attr){values.slice().sort().forEach(function(v){
  var l=document.createElement("label"), c=document.createElement("input");
  c.type="checkbox"; c.checked=true; c.value=v; c.setAttribute("data-filter",attr);
  c.addEventListener("change",filter); l.appendChild(c);
   l.appendChild(document.createTextNode(" "+v+" "));
  box.appendChild(l);});}
checks(document.getElementById("domains"),domains,"domain");
checks(document.getElementById("types"),types,"type");
function filter(){var on={domain:{},type:{}};
  document.querySelectorAll("input[data-filter]").forEach(function(c){
  if(c.checked)on[c.getAttribute("data-filter")][c.value]=1;});
  var shown=0; nodes.forEach(function(n){n.visible=!!(on.domain[n.domain]&&on.type[n.type]);
    n.el.style.display=n.visible?"":"none"; if(n.visible)shown++;});
  var links=0; edges.forEach(function(e){var v=byId[e.source].visible&&byId[e.target].visible;
    e.el.style.display=v?"":"none"; if(v)links++;});
  document.getElementById("counts").textContent=shown+" entries, "+links+" links";}
filter();
// pan and zoom
var svg=document.getElementById("graph"), view=document.getElementById("view"), tx=0, ty=0, k=1,
   drag=null;
function apply(){view.setAttribute("transform","translate("+tx+","+ty+") scale("+k+")");}
function fit(){var r=svg.getBoundingClientRect(), xs=nodes.map(function(n){return n.x;}),
   ys=nodes.map(function(n){return n.y;});
  if(!nodes.length){apply();return;} var x0=Math.min.apply(null,xs)-40,x1=Math.max.apply(null,xs)+160,
  y0=Math.min.apply(null,ys)-40,y1=Math.max.apply(null,ys)+40;
  k=Math.min((r.width||800)/(x1-x0),(r.height||600)/(y1-y0),2); tx=-x0*k; ty=-y0*k; apply();}
function zoom(f,cx,cy){tx=cx-(cx-tx)*f; ty=cy-(cy-ty)*f; k*=f; apply();}
svg.addEventListener("wheel",function(e){e.preventDefault(); var r=svg.getBoundingClientRect();
  zoom(e.deltaY<0?1.2:1/1.2,e.clientX-r.left,e.clientY-r.top);},{passive:false});
svg.addEventListener("mousedown",function(e){drag={x:e.clientX-tx,y:e.clientY-ty};});
window.addEventListener("mousemove",function(e){if(drag){tx=e.clientX-drag.x;ty=e.clientY-drag.y;
  apply();}});
window.addEventListener("mouseup",function(){drag=null;});
document.getElementById("zin").onclick=function(){var r=svg.getBoundingClientRect();zoom(1.25,
  r.width/2,r.height/2);};
document.getElementById("zout").onclick=function(){var r=svg.getBoundingClientRect();zoom(0.8,
  r.width/2,r.height/2);};
document.getElementById("zfit").onclick=fit;
fit();
if(location.hash)open(decodeURIComponent(location.hash.slice(1)));
window.memtreeGraph={open:open,filter:filter,zoom:zoom,state:function(){return {tx:tx,ty:ty,k:k};}};
})();
</script>
</body></html>
"""


def page(data: dict[str, Any], title: str) -> str:
    """The page for `data` (`{"nodes", "edges"}`), its JSON made safe inside a script element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _PAGE.replace("__TITLE__", html.escape(title)).replace("__DATA__", text)
