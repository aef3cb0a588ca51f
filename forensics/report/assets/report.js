/* hangdump report: filters, members tables, flame graphs and capture views, drawn from the inlined data.
   Every string from a capture goes into the page with textContent / setAttribute, never as HTML. */
"use strict";
(function () {
  var D = null;            // the payload (see forensics/report/render.py)
  var S = null;            // strings
  var byId = {};           // capture id -> index
  var match = null;        // Uint8Array: capture passes the filters
  var stackText = null;    // lowercased text of every stack (search)
  var capText = null;      // lowercased text of every capture header
  var LIST_PAGE = 200;
  var listShown = LIST_PAGE;
  var filterKey = null;    // the filter values last applied
  var clusterText = [];    // lowercased headline and explanation of every cluster (search)
  var filtered = false;    // some filter narrows the captures
  var sortBy = null;       // [column index, direction] of the captures tables

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] === null || attrs[k] === undefined) continue;
        if (k === "text") node.textContent = String(attrs[k]);
        else node.setAttribute(k, String(attrs[k]));
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  function s(i) { return i === -1 || i === null || i === undefined ? null : S[i]; }
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function utc(t) {
    if (t === null || t === undefined) return "?";
    var d = new Date(t * 1000);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }
  function bytes(n) {
    if (n === null || n === undefined) return "?";
    var units = ["B", "KiB", "MiB", "GiB"], v = n, u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return u === 0 ? v + " B" : v.toFixed(1) + " " + units[u];
  }
  function dur(x) {
    if (x === null || x === undefined) return "?";
    var t = Math.floor(x);
    if (t < 60) return x.toFixed(1) + "s";
    if (t < 3600) return Math.floor(t / 60) + "m" + pad(t % 60) + "s";
    if (t < 86400) return Math.floor(t / 3600) + "h" + pad(Math.floor(t % 3600 / 60)) + "m";
    return Math.floor(t / 86400) + "d" + pad(Math.floor(t % 86400 / 3600)) + "h";
  }
  function basename(p) { if (!p) return ""; var i = p.lastIndexOf("/"); return i < 0 ? p : p.slice(i + 1); }

  // capture record accessors: [id, host, pid, taken_at, method, trigger, cluster, process, threads, errors, extra,
  //                            verdicts, culprit, role, task, follow-up]
  function cId(c) { return s(c[0]); }
  function cVerdict(c) { return c[11].length ? s(c[11][0][0]) : ""; }
  function ago(t) {
    var d = Date.now() / 1000 - t;
    return d < 0 ? "in the future" : dur(d) + " ago";
  }
  function cHost(c) { return s(c[1]); }
  function cProc(c, i) { return c[7] ? c[7][i] : null; }

  /* ------------------------------------------------------------------ loading */
  function load() {
    // version 2 (forensics/report/pieces.py): one piece per capture in its own indices, interned here into the
    // version 1 tables the page reads, and the flame graphs drawn as the writer's Payload.flame draws them
    function expand(P) {
      if (P.v !== 2) return P;
      var S = P.s.slice(), F = [], L = [], K = [], C = [], at = new Map(), fAt = new Map(), lAt = new Map(),
        kAt = new Map(), labels = [], i;
      function intern(map, list, key, value) {
        var n = map.get(key);
        if (n === undefined) { n = list.length; list.push(value); map.set(key, n); }
        return n;
      }
      for (i = 0; i < S.length; i++) if (!at.has(S[i])) at.set(S[i], i);
      P.p.forEach(function (piece, ci) {
        var ss = piece[0].map(function (t) { return intern(at, S, t, t); });
        function s(x) { return x === -1 ? -1 : ss[x]; }
        var ls = piece[2].map(function (vars) {
          var v = vars.map(function (x) { return [s(x[0]), s(x[1]), x[2]]; });
          return intern(lAt, L, JSON.stringify(v), v);
        });
        var fs = piece[1].map(function (f) {
          var g = [f[0], s(f[1]), s(f[2]), s(f[3]), f[4], s(f[5]), f[6] === -1 ? -1 : ls[f[6]], f[7]];
          return intern(fAt, F, JSON.stringify(g), g);
        });
        var ks = piece[3].map(function (k) {
          var g = k.map(function (x) { return fs[x]; }), n = kAt.get(g.join(","));
          if (n === undefined) {
            n = K.length; K.push(g); kAt.set(g.join(","), n);
            var out = [];  // flame.stack_labels
            g.forEach(function (fi) {
              var label = S[F[fi][1]];
              if (F[fi][7] === 1 || (out.length && out[out.length - 1] === label && label.indexOf("??") === 0)) return;
              out.push(label);
            });
            labels.push(out);
          }
          return n;
        });
        var c = piece[4], p = c[7], x = P.x[ci];
        [0, 1, 4, 5, 10, 12, 14].forEach(function (n) { c[n] = s(c[n]); });
        if (p) [0, 1, 2, 4, 16, 17].forEach(function (n) { p[n] = s(p[n]); });
        c[8].forEach(function (t) {
          t[1] = s(t[1]); t[4] = ks[t[4]];
          if (t[3]) [0, 1, 2, 8].forEach(function (n) { t[3][n] = s(t[3][n]); });
        });
        c[9] = c[9].map(s);
        c[11] = c[11].map(function (v) { return [s(v[0]), s(v[1])]; });
        c[6] = x[0]; c[13] = x[1]; c[15] = x[2];
        C.push(c);
      });
      function flame(members) {  // Payload.flame: weighted label stacks of the stuck threads, an icicle, preorder
        var perStack = new Map(), root = { name: "all", value: 0, kids: new Map() }, out = [], todo = [root];
        members.forEach(function (ci) {
          C[ci][8].forEach(function (t) {
            if (!(t[2] & 8) && K[t[4]].length) perStack.set(t[4], (perStack.get(t[4]) || 0) + 1);
          });
        });
        perStack.forEach(function (n, k) {
          var node = root;
          root.value += n;
          labels[k].forEach(function (label) {
            var child = node.kids.get(label);
            if (!child) { child = { name: label, value: 0, kids: new Map() }; node.kids.set(label, child); }
            child.value += n;
            node = child;
          });
        });
        while (todo.length) {
          var node = todo.pop(), kids = Array.from(node.kids.values());
          kids.sort(function (a, b) { return b.value - a.value || (a.name < b.name ? -1 : 1); });
          out.push(intern(at, S, node.name, node.name), node.value, kids.length);
          for (var j = kids.length - 1; j >= 0; j--) todo.push(kids[j]);
        }
        return out;
      }
      var groups = P.g.map(function (g) { return [g[0], g[1], flame(g[1])]; }), every = [];
      for (i = 0; i < C.length; i++) every.push(i);
      return { v: 1, s: S, f: F, l: L, k: K, c: C, g: groups, a: flame(every) };
    }
    var raw = JSON.parse(document.getElementById("hangdump-data").textContent);
    if (!raw.z) return Promise.resolve(expand(raw));
    if (typeof DecompressionStream === "undefined") {
      return Promise.reject(new Error("this browser cannot inflate the report data (no DecompressionStream)"));
    }
    var bin = atob(raw.z), buf = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
    var stream = new Blob([buf]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse).then(expand);
  }

  function index() {
    S = D.s;
    var i, j;
    stackText = new Array(D.k.length);
    for (i = 0; i < D.k.length; i++) {
      var parts = [];
      for (j = 0; j < D.k[i].length; j++) {
        var f = D.f[D.k[i][j]];
        parts.push(s(f[2]) || "", s(f[3]) || "", s(f[5]) || "");
      }
      stackText[i] = parts.join("\n").toLowerCase();
    }
    capText = new Array(D.c.length);
    for (i = 0; i < D.c.length; i++) {
      var c = D.c[i];
      byId[cId(c)] = i;
      var names = [cId(c), cHost(c), String(c[2]), s(cProc(c, 0)) || "", s(c[5]) || "", s(c[12]) || "", s(c[13]) || "",
        s(c[14]) || "", s(c[15]) || "", c[10] !== -1 ? s(c[10]) : ""];
      for (j = 0; j < c[11].length; j++) names.push(s(c[11][j][0]), s(c[11][j][1]));
      for (j = 0; j < c[8].length; j++) {
        var k = c[8][j][3];
        names.push(s(c[8][j][1]) || "");
        if (k) names.push(s(k[1]) || "", s(k[8]) || "");
      }
      capText[i] = names.join("\n").toLowerCase();
    }
    match = new Uint8Array(D.c.length);
    var nodes = document.querySelectorAll("details.cluster");
    for (i = 0; i < nodes.length; i++) {
      var body = nodes[i].querySelector(".explanation"), head = nodes[i].querySelector(".headline");
      clusterText[+nodes[i].getAttribute("data-index")] = ((head ? head.textContent : "") + "\n" + (body ? body.textContent : "")).toLowerCase();
    }
  }

  /* ------------------------------------------------------------------ filters */
  function inputValue(id) { var n = document.getElementById(id); return n ? n.value : ""; }
  function whenValue(id) {
    var v = inputValue(id);
    if (!v) return null;
    var t = Date.parse(v + (v.length === 16 ? ":00Z" : "Z"));
    return isNaN(t) ? null : t / 1000;
  }

  function applyFilters() {
    var began = performance.now();
    var q = inputValue("f-text").trim().toLowerCase();
    var host = inputValue("f-host");
    var since = whenValue("f-since"), until = whenValue("f-until");
    var verdict = inputValue("f-verdict"), role = inputValue("f-role");
    var roleIdx = role ? S.indexOf(role) : -1;
    // The "change" an input fires when it loses focus (to the click on a capture link) must not redraw
    // the list under the pointer: the click would land on a replaced node and go nowhere.
    var interp = document.getElementById("f-interp");
    var key = [q, host, since, until, verdict, role, interp && interp.checked].join("\u0000");
    if (key === filterKey) return;
    filterKey = key;
    var hostIdx = host ? S.indexOf(host) : -1;
    var stackHit = null, i, j;
    if (q) {
      stackHit = new Uint8Array(D.k.length);
      for (i = 0; i < stackText.length; i++) if (stackText[i].indexOf(q) !== -1) stackHit[i] = 1;
    }
    var clusterKind = [];
    var clusterNodes = document.querySelectorAll("details.cluster");
    for (i = 0; i < clusterNodes.length; i++) clusterKind[+clusterNodes[i].getAttribute("data-index")] = clusterNodes[i].getAttribute("data-kind");
    var total = 0;
    for (i = 0; i < D.c.length; i++) {
      var c = D.c[i], ok = 1;
      if (host && c[1] !== hostIdx) ok = 0;
      else if (since !== null && c[3] < since) ok = 0;
      else if (until !== null && c[3] > until) ok = 0;
      else if (verdict && cVerdict(c) !== verdict && (c[6] === -1 || clusterKind[c[6]] !== verdict)) ok = 0;
      else if (role && c[13] !== roleIdx) ok = 0;
      else if (q && capText[i].indexOf(q) === -1 && !(c[6] !== -1 && clusterText[c[6]] && clusterText[c[6]].indexOf(q) !== -1)) {
        ok = 0;
        for (j = 0; j < c[8].length; j++) if (stackHit[c[8][j][4]]) { ok = 1; break; }
      }
      match[i] = ok;
      total += ok;
    }
    filtered = total !== D.c.length;
    var flames = document.querySelectorAll(".flame[data-drawn]");
    for (i = 0; i < flames.length; i++) drawFlame(flames[i]);
    for (i = 0; i < clusterNodes.length; i++) {
      var node = clusterNodes[i], g = D.g[+node.getAttribute("data-index")], n = 0;
      if (!g) continue;
      for (j = 0; j < g[1].length; j++) n += match[g[1][j]];
      node.hidden = n === 0;
      var badge = node.querySelector(".n-match");
      if (badge) badge.textContent = n === g[1].length ? String(n) : n + " of " + g[1].length;
      var members = node.querySelector(".members");
      if (members && members.getAttribute("data-drawn")) drawMembers(members);
    }
    var count = document.getElementById("f-count");
    if (count) count.textContent = total === D.c.length ? total + " captures" : total + " of " + D.c.length + " captures match";
    listShown = LIST_PAGE;
    drawCaptureList();
    document.body.setAttribute("data-filter-ms", (performance.now() - began).toFixed(1));
  }

  /* ------------------------------------------------------------------ tables */
  function captureLink(i) {
    var id = cId(D.c[i]);
    return el("a", { href: "#capture/" + encodeURIComponent(id), "class": "cap-link", text: id });
  }
  // the captures tables' columns: header, sort key of a capture
  var COLUMNS = [
    ["capture", function (c) { return cId(c); }],
    ["verdict", function (c) { return cVerdict(c); }],
    ["culprit", function (c) { return s(c[12]) || ""; }],
    ["role", function (c) { return s(c[13]) || ""; }],
    ["task", function (c) { return s(c[14]) || ""; }],
    ["host", function (c) { return cHost(c); }],
    ["pid", function (c) { return c[2] === null ? -1 : c[2]; }],
    ["taken (UTC)", function (c) { return c[3]; }],
    ["trigger", function (c) { return s(c[5]) || ""; }],
    ["RSS", function (c) { return cProc(c, 8) || 0; }],
    ["age", function (c) { return cProc(c, 5) || 0; }],
    ["python", function (c) { return s(cProc(c, 2)) || ""; }]
  ];
  function memberRow(i) {
    var c = D.c[i], trig = s(c[5]) || "", kind = cVerdict(c);
    return el("tr", null,
      el("td", null, captureLink(i)),
      el("td", null, kind ? el("span", { "class": "kind kind-" + kind, text: kind }) : "-"),
      el("td", { "class": "culprit", text: s(c[12]) || "" }), el("td", { text: s(c[13]) || "" }), el("td", { text: s(c[14]) || "" }),
      el("td", { text: cHost(c) }), el("td", { text: c[2] === null ? "-" : c[2] }),
      el("td", { text: utc(c[3]) }), el("td", { text: trig + (c[15] !== -1 ? " \u2192 " + s(c[15]) : "") }), el("td", { text: bytes(cProc(c, 8)) }),
      el("td", { text: dur(cProc(c, 5)) }), el("td", { text: s(cProc(c, 2)) || "?" }));
  }
  function sortRows(rows) {
    if (!sortBy) { rows.sort(function (a, b) { return D.c[b][3] - D.c[a][3]; }); return rows; }
    var key = COLUMNS[sortBy[0]][1], dir = sortBy[1];
    var keys = {};
    rows.forEach(function (i) { keys[i] = key(D.c[i]); });
    rows.sort(function (a, b) { return keys[a] < keys[b] ? -dir : keys[a] > keys[b] ? dir : D.c[b][3] - D.c[a][3]; });
    return rows;
  }
  function table(rows, more) {
    var head = el("tr");
    COLUMNS.forEach(function (col, ci) {
      var mark = sortBy && sortBy[0] === ci ? (sortBy[1] > 0 ? " \u25b2" : " \u25bc") : "";
      var th = el("th", { "class": "sortable", title: "sort by " + col[0], text: col[0] + mark });
      th.addEventListener("click", function () {
        sortBy = sortBy && sortBy[0] === ci ? [ci, -sortBy[1]] : [ci, 1];
        redrawTables();
      });
      head.appendChild(th);
    });
    var body = el("tbody");
    rows.forEach(function (i) { body.appendChild(memberRow(i)); });
    var t = el("table", { "class": "members-table" }, el("thead", null, head), body);
    return more ? el("div", null, t, more) : t;
  }
  function redrawTables() {
    var members = document.querySelectorAll(".members[data-drawn]");
    for (var i = 0; i < members.length; i++) drawMembers(members[i]);
    drawCaptureList();
  }
  function drawMembers(node) {
    var g = D.g[+node.getAttribute("data-cluster")], rows = [], i;
    for (i = 0; i < g[1].length; i++) if (match[g[1][i]]) rows.push(g[1][i]);
    sortRows(rows);
    var limit = +(node.getAttribute("data-limit") || LIST_PAGE), more = null;
    if (rows.length > limit) {
      more = el("button", { type: "button", "class": "more", text: "show " + Math.min(LIST_PAGE, rows.length - limit) + " more of " + (rows.length - limit) });
      more.addEventListener("click", function () { node.setAttribute("data-limit", limit + LIST_PAGE); drawMembers(node); });
    }
    node.replaceChildren(table(rows.slice(0, limit), more));
    node.setAttribute("data-drawn", "1");
  }
  function drawCaptureList() {
    var node = document.getElementById("capture-list");
    if (!node) return;
    var rows = [];
    for (var i = D.c.length - 1; i >= 0; i--) if (match[i]) rows.push(i);
    if (sortBy) sortRows(rows);
    var more = null;
    if (rows.length > listShown) {
      more = el("button", { type: "button", "class": "more", text: "show " + Math.min(LIST_PAGE, rows.length - listShown) + " more of " + (rows.length - listShown) });
      more.addEventListener("click", function () { listShown += LIST_PAGE; drawCaptureList(); });
    }
    node.replaceChildren(rows.length ? table(rows.slice(0, listShown), more) : el("p", { "class": "empty", text: "No capture matches the filters." }));
  }

  /* ------------------------------------------------------------------ flame graphs (icicle, rooted at the waits) */
  var ROW = 18;
  function hue(name) {
    var h = 0;
    for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
    return Math.abs(h);
  }
  // a flame arrives flat, in preorder (label, value, number of children per node); built into
  // [label, value, children] nodes with a stack of open parents, never by recursion: stacks run thousands deep
  var trees = {};
  function unflatten(flat) {
    var root = null, open = [], i;
    for (i = 0; i + 2 < flat.length; i += 3) {
      var n = [flat[i], flat[i + 1], []], want = flat[i + 2];
      if (open.length) {
        var top = open[open.length - 1];
        top[0][2].push(n);
        if (top[0][2].length === top[1]) open.pop();
      } else root = n;
      if (want > 0) open.push([n, want]);
    }
    return root;
  }
  // the boxes of one stack, as flame.stack_labels draws them: interpreter frames folded unless shown, a run of
  // unresolved frames of one library as one box
  function labelsOf(stack, interp) {
    var out = [];
    for (var i = 0; i < stack.length; i++) {
      var f = D.f[stack[i]];
      if (f[7] === 1 && !interp) continue;
      if (out.length && out[out.length - 1] === f[1] && S[f[1]].indexOf("??") === 0) continue;
      out.push(f[1]);
    }
    return out;
  }
  // the icicle of the stuck threads of the captures that pass the filters (the page's own tree, not the payload's)
  function buildTree(members, interp) {
    var perStack = {}, i, j, root = [S.indexOf("all"), 0, []];
    for (i = 0; i < members.length; i++) {
      var c = D.c[members[i]];
      if (!match[members[i]]) continue;
      for (j = 0; j < c[8].length; j++) {
        var t = c[8][j];
        if (t[2] & 8 || !D.k[t[4]].length) continue;
        perStack[t[4]] = (perStack[t[4]] || 0) + 1;
      }
    }
    var kids = new Map();
    kids.set(root, new Map());
    for (var k in perStack) {
      var n = perStack[k], node = root, labels = labelsOf(D.k[+k], interp);
      root[1] += n;
      for (j = 0; j < labels.length; j++) {
        var m = kids.get(node), child = m.get(labels[j]);
        if (!child) { child = [labels[j], 0, []]; m.set(labels[j], child); kids.set(child, new Map()); node[2].push(child); }
        child[1] += n;
        node = child;
      }
    }
    kids.forEach(function (_m, nd) { nd[2].sort(function (a, b) { return b[1] - a[1] || (S[a[0]] < S[b[0]] ? -1 : 1); }); });
    return root;
  }
  var allCaptures = null;
  function flameTree(key) {
    var interp = document.getElementById("f-interp");
    if (filtered || (interp && interp.checked)) {
      if (key === "all" && !allCaptures) { allCaptures = []; for (var i = 0; i < D.c.length; i++) allCaptures.push(i); }
      return buildTree(key === "all" ? allCaptures : D.g[+key][1], interp && interp.checked);
    }
    if (!trees.hasOwnProperty(key)) trees[key] = unflatten(key === "all" ? D.a : D.g[+key][2]);
    return trees[key];
  }
  function drawFlame(node, root) {
    var tree = root ? node.flameTree : flameTree(node.getAttribute("data-cluster"));
    node.flameTree = tree;
    root = root || tree;
    if (!root || root[1] === 0) { node.replaceChildren(el("p", { "class": "empty", text: "No stuck threads with frames." })); return; }
    var boxes = el("div", { "class": "flame-boxes" }), depthMax = 0, total = root[1];
    var todo = [[root, 0, 0]];  // [node, depth, x]: placed from an explicit stack
    while (todo.length) {
      var item = todo.pop(), n = item[0], depth = item[1], x = item[2];
      var w = n[1] / total;
      if (w < 0.002) continue;
      if (depth > depthMax) depthMax = depth;
      var name = s(n[0]), native = / \[[^\]]*\]$/.test(name) || name.indexOf("[") === 0;
      var box = el("div", {
        "class": "fbox" + (native ? " native" : "") + (depth === 0 ? " froot" : ""),
        title: name + " \u2014 " + n[1] + " thread" + (n[1] === 1 ? "" : "s") + " (" + (100 * n[1] / total).toFixed(1) + "%)",
        style: "left:" + (100 * x) + "%;width:" + (100 * w) + "%;top:" + (depth * ROW) + "px;" +
          "background:hsl(" + (native ? 200 + hue(name) % 30 : 10 + hue(name) % 40) + ",75%," + (native ? 72 : 65) + "%)"
      }, depth === 0 && n === tree ? "all stuck threads (" + n[1] + ")" : name);
      box.addEventListener("click", zoomTo(node, n === root ? tree : n));
      boxes.appendChild(box);
      var cx = x, later = [];
      for (var i = 0; i < n[2].length; i++) { later.push([n[2][i], depth + 1, cx]); cx += n[2][i][1] / total; }
      while (later.length) todo.push(later.pop());  // first child on top: boxes appear in the same order as before
    }
    boxes.style.height = ((depthMax + 1) * ROW) + "px";
    var parts = [boxes];
    if (root !== tree) parts.unshift(el("p", { "class": "zoom", text: "zoomed on " + s(root[0]) + "; click it to zoom out" }));
    node.replaceChildren.apply(node, parts);
    node.setAttribute("data-drawn", "1");
  }

  function zoomTo(node, target) {
    return function (ev) { ev.stopPropagation(); drawFlame(node, target); };
  }

  function onToggle(details) {
    if (!details.open) return;
    var flames = details.querySelectorAll(".flame"), i;
    for (i = 0; i < flames.length; i++) if (!flames[i].getAttribute("data-drawn")) drawFlame(flames[i]);
    var members = details.querySelectorAll(".members");
    for (i = 0; i < members.length; i++) if (!members[i].getAttribute("data-drawn")) drawMembers(members[i]);
  }

  /* ------------------------------------------------------------------ the full view of one capture */
  function kv(dl, key, value) {
    if (value === null || value === undefined || value === "") return;
    dl.appendChild(el("dt", { text: key }));
    dl.appendChild(el("dd", { text: value }));
  }
  function frameItem(fi) {
    var f = D.f[fi], native = f[0] === 1, li = el("li", { "class": "frame " + (native ? "native" : "python") });
    li.appendChild(el("span", { "class": "fn", text: s(f[2]) }));
    if (native) {
      var lib = basename(s(f[5]) || s(f[3]) || "");
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", { "class": "where", title: s(f[5]) || s(f[3]) || "", text: "[" + lib + "]" }));
    } else {
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", { "class": "where", title: s(f[3]) || "", text: (s(f[3]) || "?") + (f[4] ? ":" + f[4] : "") }));
    }
    if (f[6] !== -1) {
      var ul = el("ul", { "class": "locals" });
      D.l[f[6]].forEach(function (v) {
        var value = s(v[1]) !== null ? s(v[1]) : (v[2] & 2 ? "<redacted>" : "?");
        ul.appendChild(el("li", null, el("span", { "class": "lname", text: s(v[0]) + (v[2] & 1 ? " (arg)" : "") }), " = ", el("code", { text: value })));
      });
      li.appendChild(ul);
    }
    return li;
  }
  function kernelText(k) {
    if (!k) return "?";
    if (k[3] === 1) return "running";
    var fd = s(k[8]);
    return (s(k[1]) || s(k[2]) || "-") + (fd ? " · fd " + fd : "");
  }
  // a value of the options or the evidence as a reader says it: yes/no, lists and objects as "k: v" text
  function readable(v) {
    if (v === true) return "yes";
    if (v === false) return "no";
    if (v === null || v === undefined) return "-";
    if (Array.isArray(v)) return v.map(readable).join(", ");
    if (typeof v === "object") return Object.keys(v).map(function (k) { return k.replace(/_/g, " ") + ": " + readable(v[k]); }).join(" · ");
    return String(v);
  }
  function verdictBlock(c) {
    var sec = el("section", { "class": "verdicts" });
    if (!c[11].length) { sec.appendChild(el("p", { "class": "empty", text: "No verdict for this capture." })); return sec; }
    c[11].forEach(function (v, vi) {
      var kind = s(v[0]), text = s(v[1]) || "";
      sec.appendChild(el("div", { "class": "verdict" + (vi === 0 ? " first" : "") },
        el("span", { "class": "kind kind-" + kind, text: kind }), el("pre", { "class": "explanation", text: text })));
    });
    if (c[12] !== -1) sec.appendChild(el("p", null, "culprit: ", el("code", { text: s(c[12]) })));
    return sec;
  }
  function renderCapture(i) {
    var c = D.c[i], box = el("div", { "class": "capture", "data-capture": cId(c) });
    var extra = c[10] !== -1 ? JSON.parse(s(c[10])) : {};
    box.appendChild(verdictBlock(c));
    var dl = el("dl", { "class": "facts" });
    kv(dl, "capture", cId(c));
    kv(dl, "host", cHost(c));
    kv(dl, "pid", c[2]);
    kv(dl, "role", s(c[13]));
    kv(dl, "task", s(c[14]));
    kv(dl, "taken", utc(c[3]) + " UTC (" + ago(c[3]) + ")");
    kv(dl, "method", s(c[4]));
    kv(dl, "trigger", (s(c[5]) || "") + (extra.evidence ? " \u2014 " + readable(extra.evidence) : ""));
    kv(dl, "then", s(c[15]));
    if (c[6] !== -1 && D.g[c[6]]) kv(dl, "cluster", s(D.g[c[6]][0]));
    if (c[7]) {
      kv(dl, "command", s(cProc(c, 0)));
      kv(dl, "exe", s(cProc(c, 1)));
      kv(dl, "python", s(cProc(c, 2)));
      kv(dl, "ppid", cProc(c, 3));
      kv(dl, "state", s(cProc(c, 4)));
      kv(dl, "age", dur(cProc(c, 5)));
      kv(dl, "CPU", (cProc(c, 6) || 0).toFixed(2) + "s user + " + (cProc(c, 7) || 0).toFixed(2) + "s sys");
      kv(dl, "memory", "RSS " + bytes(cProc(c, 8)) + (cProc(c, 9) !== null ? " · PSS " + bytes(cProc(c, 9)) + " · USS " + bytes(cProc(c, 10)) + " · shared " + bytes(cProc(c, 11)) : "") + (cProc(c, 12) ? " · swap " + bytes(cProc(c, 12)) : ""));
      kv(dl, "threads", cProc(c, 13));
      if (cProc(c, 14) && cProc(c, 14).length) kv(dl, "children", cProc(c, 14).join(", "));
      kv(dl, "uid", cProc(c, 15));
    }
    if (extra.start_time !== undefined) kv(dl, "process started", utc(extra.start_time) + " UTC (" + ago(extra.start_time) + ")");
    if (extra.duration_s !== undefined) kv(dl, "capture took", dur(extra.duration_s));
    kv(dl, "source", extra.source);
    if (extra.options) kv(dl, "options", readable(extra.options));
    if (extra.tool_versions) kv(dl, "tools", readable(extra.tool_versions));
    box.appendChild(dl);
    var holder = null, known = false;
    c[8].forEach(function (t) { if (t[2] & 1) holder = t; if (t[2] & 4) known = true; });
    if (holder) box.appendChild(el("p", { "class": "gil", text: "GIL held by thread " + holder[0] + " " + (s(holder[1]) || "") + " (kernel: " + kernelText(holder[3]) + ")" }));
    else if (known) box.appendChild(el("p", { "class": "gil", text: "GIL held by no Python thread" }));
    c[9].forEach(function (e) { box.appendChild(el("p", { "class": "warn", text: "note: " + s(e) })); });

    var head = el("tr");
    ["tid", "thread", "flags", "state", "kernel", "wchan", "innermost Python frame"].forEach(function (h) { head.appendChild(el("th", { text: h })); });
    var body = el("tbody");
    c[8].forEach(function (t, ti) {
      var stack = D.k[t[4]], top = null;
      for (var j = 0; j < stack.length; j++) if (D.f[stack[j]][0] === 0) { top = stack[j]; break; }
      if (top === null && stack.length) top = stack[0];
      var flags = [];
      if (t[2] & 1) flags.push("GIL");
      if (t[2] & 2) flags.push("active");
      body.appendChild(el("tr", null,
        el("td", null, el("a", { href: "#capture/" + encodeURIComponent(cId(c)) + "/" + ti, "class": "thread-link", text: t[0] === null ? "?" : t[0] })),
        el("td", { text: s(t[1]) || "" }), el("td", { text: flags.join(",") }), el("td", { text: t[3] ? s(t[3][0]) || "?" : "?" }),
        el("td", { text: kernelText(t[3]) }), el("td", { text: t[3] ? s(t[3][2]) || "-" : "-" }),
        el("td", { text: top === null ? "(no frames)" : s(D.f[top][1]) })));
    });
    box.appendChild(el("table", { "class": "threads-table" }, el("thead", null, head), body));

    c[8].forEach(function (t, ti) {
      var k = t[3], sec = el("section", { "class": "thread-full", id: "t-" + ti });
      var flags = [];
      if (t[2] & 1) flags.push("holds the GIL");
      if (t[2] & 2) flags.push("active");
      sec.appendChild(el("h3", null, "Thread " + (t[0] === null ? "?" : t[0]) + " ", el("span", { "class": "tname", text: s(t[1]) || "" }), flags.length ? " [" + flags.join(", ") + "]" : ""));
      if (k) {
        var kd = el("p", { "class": "kernel" });
        kd.textContent = "kernel: state " + (s(k[0]) || "?") + " · " + (k[3] === 1 ? "running" : (s(k[1]) || "no syscall")) +
          (s(k[8]) ? " · fd " + s(k[8]) : "") + " · wchan " + (s(k[2]) || "-") + " · CPU " + (k[4] === null ? "?" : k[4]) + "s user + " + (k[5] === null ? "?" : k[5]) + "s sys" +
          " · context switches " + (k[6] === null ? "?" : k[6]) + " voluntary, " + (k[7] === null ? "?" : k[7]) + " involuntary";
        sec.appendChild(kd);
      }
      var ol = el("ol", { "class": "stack" });
      D.k[t[4]].forEach(function (fi) { ol.appendChild(frameItem(fi)); });
      if (!D.k[t[4]].length) ol.appendChild(el("li", { "class": "empty", text: "(no frames)" }));
      sec.appendChild(ol);
      box.appendChild(sec);
    });
    return box;
  }

  /* ------------------------------------------------------------------ routing */
  function route() {
    var h = decodeURIComponent(location.hash.replace(/^#/, ""));
    var view = document.getElementById("capture-view");
    var m = /^capture\/(.+?)(?:\/(\d+))?$/.exec(h);
    var only = document.body.getAttribute("data-only-capture");
    if (!m && only) m = [null, only, null];
    if (m && byId.hasOwnProperty(m[1])) {
      var i = byId[m[1]];
      document.getElementById("capture-title").textContent = "capture " + m[1];
      document.getElementById("capture-body").replaceChildren(renderCapture(i));
      view.hidden = false;
      document.body.classList.add("viewing-capture");
      var target = m[2] !== null && m[2] !== undefined ? document.getElementById("t-" + m[2]) : null;
      if (target) target.scrollIntoView(); else window.scrollTo(0, 0);
      return;
    }
    view.hidden = true;
    document.body.classList.remove("viewing-capture");
    var cm = /^cluster-(.+)$/.exec(h);
    if (cm) {
      var d = document.getElementById("cluster-" + cm[1]);
      if (d && d.tagName === "DETAILS") { d.open = true; onToggle(d); d.scrollIntoView(); }
    }
  }

  // the roles the captures have, as options of the role filter (it stays hidden when no capture has one)
  function roleOptions() {
    var select = document.getElementById("f-role"), seen = {}, names = [];
    if (!select) return;
    for (var i = 0; i < D.c.length; i++) {
      var r = s(D.c[i][13]);
      if (r !== null && !seen[r]) { seen[r] = 1; names.push(r); }
    }
    names.sort().forEach(function (r) { select.appendChild(el("option", { value: r, text: r })); });
    select.hidden = names.length === 0;
  }

  function start() {
    index();
    roleOptions();
    var details = document.querySelectorAll("details");
    for (var i = 0; i < details.length; i++) {
      (function (d) { d.addEventListener("toggle", function () { onToggle(d); }); })(details[i]);
    }
    var pending = 0;
    function later() {
      if (pending) return;
      pending = requestAnimationFrame(function () { pending = 0; applyFilters(); });
    }
    ["f-text", "f-host", "f-since", "f-until", "f-verdict", "f-role", "f-interp"].forEach(function (id) {
      var n = document.getElementById(id);
      if (n) { n.addEventListener("input", later); n.addEventListener("change", later); }
    });
    document.getElementById("capture-close").addEventListener("click", function (ev) {
      ev.preventDefault();
      if (history.length > 1 && /^#capture\//.test(location.hash)) history.back(); else location.hash = "";
    });
    window.addEventListener("hashchange", route);
    applyFilters();
    route();
    document.body.setAttribute("data-ready-ms", performance.now().toFixed(1));
    document.body.setAttribute("data-ready", "1");
  }

  load().then(function (d) { D = d; start(); }, function (err) {
    document.body.setAttribute("data-ready", "error");
    document.getElementById("top").prepend(el("p", { "class": "warn", text: "hangdump: " + err.message }));
  });
})();
