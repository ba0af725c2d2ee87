// The leaderboard page: charts from the published snapshot, then live updates over a websocket.
// The page works without this script (the table is rendered on the server); no inline script.
(function () {
  "use strict";
  var config = document.getElementById("board-config").dataset;
  var charts = {};
  var overallRanks = {};
  ((readJSON("snapshot-data") || {}).competitors || []).forEach(function (row) {
    if (row.overall_rank) { overallRanks[row.name] = row.overall_rank; }
  });

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function fmt(x) { return x === null || x === undefined ? "–" : x.toFixed(1); }

  function pct(x) { return x === null || x === undefined ? "–" : Math.round(100 * x) + "%"; }

  // One clear rank per row, as leaderboards/reports/board_page.py:board_view gives it: with
  // intervals 1 + the competitors statistically better (shared = a tie); on an equilibrium
  // board 1 + the competitors rated higher, so every competitor it plays shares rank 1.
  function ranks(rows, equilibrium, tolerance) {
    var shown = rows.map(function (row) {
      if (!equilibrium && row.rank_upper !== null && row.rank_upper !== undefined) {
        return row.rank_upper;
      }
      return 1 + rows.filter(function (o) { return o.rating > row.rating + tolerance; }).length;
    });
    return shown.map(function (rank) {
      return { rank: rank, tied: shown.filter(function (r) { return r === rank; }).length > 1 };
    });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function small(text) { return el("small", { "class": "rank-sub", text: text }); }

  function renderTable(snapshot) {
    var table = document.getElementById("ratings-table");
    if (!table) { location.reload(); return; }  // the first run: the server renders the page
    var body = table.querySelector("tbody");
    var leaders = snapshot.leader_group || [];
    var rows = snapshot.competitors;
    var params = snapshot.params || {};
    var equilibrium = rows.some(function (r) { return r.mass !== undefined; });
    var intervals = rows.some(function (r) { return r.ci_low !== null && r.ci_low !== undefined; });
    if (String(equilibrium) !== String(!!table.dataset.equilibrium) ||
        String(intervals) !== String(!!table.dataset.intervals)) {
      location.reload(); return;  // other columns: the server's page has them
    }
    var tolerance = +params.zero_within || 0;
    var shown = ranks(rows, equilibrium, tolerance);
    var columns = table.querySelectorAll("thead th").length;
    body.textContent = "";
    var group = 0;
    rows.forEach(function (row, k) {
      if ((row.group || 0) !== group) {
        group = row.group;
        body.appendChild(el("tr", { "class": "group-head" }, [
          el("th", { colspan: columns, text: "Separate group " + group + " (not comparable)" })]));
      }
      var range = row.rank_best && row.rank_best !== row.rank_worst ?
        row.rank_best + "–" + row.rank_worst : null;
      var played = equilibrium && Math.abs(row.rating) <= tolerance;
      var tr = el("tr", { "data-competitor": row.name });
      if (row.group) { tr.dataset.group = row.group; }
      if (played) { tr.setAttribute("data-played", ""); }
      var rank = el("td", { "class": "rank" }, [el("span", { "class": "rank-n", text: shown[k].rank })]);
      if (range) { rank.title = "Plausible ranks " + range + " (all competitors at once, 95%)"; }
      if (overallRanks[row.name] !== undefined) {
        // a category board: the rank against the overall board, as the server renders it
        var delta = overallRanks[row.name] - row.rank;
        rank.appendChild(document.createTextNode(" "));
        rank.appendChild(el("span", { "class": "rank-delta", title: "Rank " + overallRanks[row.name] + " on the overall board",
                                      text: delta > 0 ? "▲" + delta : delta < 0 ? "▼" + (-delta) : "=" }));
        rank.lastChild.dataset.rankDelta = delta;
      }
      if (shown[k].tied || range) {
        rank.appendChild(small([shown[k].tied ? "tie" : "", range || ""].filter(Boolean).join(" · ")));
      }
      var summary = el("summary", {}, [el("span", { "class": "competitor", text: row.name })]);
      if (leaders.indexOf(row.name) >= 0) {
        summary.appendChild(document.createTextNode(" "));
        summary.appendChild(el("span", { "class": "badge", title: "Cannot be told apart from the leader",
                                         text: "leader group" }));
      }
      if (row.group) {
        summary.appendChild(document.createTextNode(" "));
        summary.appendChild(el("span", { "class": "badge separate",
          title: "Never met the main group: not comparable with it",
          text: "separate group " + row.group }));
      }
      var details = [];
      if (range) { details.push(["Plausible ranks", range]); }
      if (equilibrium) { details.push(["Share of play", pct(row.mass)]); }
      var interval = row.ci_low === null || row.ci_low === undefined ? "–" :
        fmt(row.ci_low) + " – " + fmt(row.ci_high);
      if (intervals) { details.push(["95% interval", interval]); }
      var votes = row.n_votes === null || row.n_votes === undefined ? "–" : String(row.n_votes);
      details.push(["Votes", votes]);
      if (!equilibrium) {
        details.push(["Ties", pct(row.tie_rate)], ["Both bad", pct(row.both_bad_rate)]);
      }
      var dl = el("dl", { "class": "more" });
      details.forEach(function (d) { dl.appendChild(el("dt", { text: d[0] })); dl.appendChild(el("dd", { text: d[1] })); });
      dl.appendChild(el("dt", { text: "Model" }));
      dl.appendChild(el("dd", {}, [el("a", { href: "/a/" + config.arena + "/models/" + encodeURIComponent(row.name) + "/",
                                             text: "model page" })]));
      var open = document.querySelector('#ratings-table tr[data-competitor="' + CSS.escape(row.name) + '"] details[open]');
      var det = el("details", open ? { open: "" } : {}, [summary, dl]);
      tr.appendChild(rank);
      tr.appendChild(el("td", { "class": "name" }, [det]));
      var rating = el("td", { "class": "rating", text: equilibrium ? row.rating.toFixed(3) : fmt(row.rating) });
      if (played || row.mass) {
        rating.appendChild(small((played ? "played · " : "") + pct(row.mass) + " of play"));
      }
      tr.appendChild(rating);
      var wide = [];
      if (equilibrium) { wide.push(pct(row.mass)); }
      if (intervals) { wide.push(interval); }
      wide.push(votes);
      if (!equilibrium) { wide.push(pct(row.tie_rate), pct(row.both_bad_rate)); }
      wide.forEach(function (text) { tr.appendChild(el("td", { "class": "wide", text: text })); });
      body.appendChild(tr);
    });
    separateGroups(snapshot.separate_groups || []);
    var status = document.getElementById("board-status");
    status.textContent = "";
    status.appendChild(el("span", { id: "board-votes", text: snapshot.n_votes }));
    status.appendChild(document.createTextNode(" votes, updated "));
    status.appendChild(el("time", { id: "board-computed", datetime: snapshot.computed_at }));
    status.appendChild(document.createTextNode(". "));
    status.appendChild(el("span", { id: "live-indicator", "class": "live", text: "live" }));
    status.dataset.watermark = snapshot.watermark;
    ago();
    filter();
  }

  // "updated 2 min ago", kept current; the exact time in the title.
  function ago() {
    var node = document.getElementById("board-computed");
    if (!node || !node.getAttribute("datetime")) { return; }
    var when = new Date(node.getAttribute("datetime"));
    var seconds = Math.max(0, (Date.now() - when.getTime()) / 1000);
    var text = seconds < 45 ? "just now" :
      seconds < 3600 ? Math.round(seconds / 60) + " min ago" :
      seconds < 86400 ? Math.round(seconds / 3600) + " h ago" :
      Math.round(seconds / 86400) + " days ago";
    node.textContent = text;
    node.title = when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
  }

  // The filter box: hides the rows whose competitor does not contain the words typed.
  function filter() {
    var input = document.getElementById("board-filter");
    if (!input) { return; }
    var words = input.value.trim().toLowerCase();
    var rows = document.querySelectorAll("#ratings-table tbody tr[data-competitor]");
    var seen = 0;
    rows.forEach(function (tr) {
      var match = tr.dataset.competitor.toLowerCase().indexOf(words) >= 0;
      tr.hidden = !match;
      if (match) { seen += 1; }
    });
    document.querySelectorAll("#ratings-table tbody tr.group-head").forEach(function (tr) {
      tr.hidden = words !== "";
    });
    document.getElementById("board-filter-count").textContent =
      words ? seen + " of " + rows.length + " shown" : "";
  }

  function separateGroups(groups) {
    var notice = document.getElementById("separate-groups");
    if (!notice) { return; }
    notice.hidden = groups.length === 0;
    document.getElementById("separate-groups-list").textContent = groups.map(function (g) {
      return "group " + g.group + ": " + g.competitors.join(", ");
    }).join("; ");
  }

  function intervalChart(snapshot) {
    var canvas = document.getElementById("interval-chart");
    if (!canvas || !window.Chart) { return; }
    var rows = snapshot.competitors;
    var data = {
      labels: rows.map(function (r) { return r.name; }),
      datasets: [
        { type: "bar", label: "95% interval", backgroundColor: "rgba(51,85,221,0.25)",
          data: rows.map(function (r) {
            return r.ci_low === null ? [r.rating, r.rating] : [r.ci_low, r.ci_high];
          }) },
        { type: "scatter", label: "rating", backgroundColor: "#3355dd",
          data: rows.map(function (r, k) { return { x: r.rating, y: k }; }) }
      ]
    };
    if (charts.interval) { charts.interval.destroy(); }
    charts.interval = new window.Chart(canvas, {
      data: data,
      options: { indexAxis: "y", maintainAspectRatio: false, animation: false,
        scales: { y: { type: "category" }, x: { beginAtZero: false, title: { display: true, text: "rating" } } },
        plugins: { legend: { display: false } } }
    });
  }

  function historyChart(history) {
    var canvas = document.getElementById("history-chart");
    if (!canvas || !window.Chart || !history) { return; }
    var names = Object.keys(history.series);
    charts.history = new window.Chart(canvas, {
      type: "line",
      data: { labels: history.labels, datasets: names.map(function (name, k) {
        return { label: name, data: history.series[name], spanGaps: true, pointRadius: 2,
                 borderColor: "hsl(" + (k * 137) % 360 + ",60%,45%)" };
      }) },
      options: { maintainAspectRatio: false, animation: false,
                 plugins: { legend: { position: "bottom", labels: { boxWidth: 10 } } } }
    });
  }

  function promptChart(snapshot) {
    var canvas = document.getElementById("prompt-chart");
    if (!canvas || !window.Chart || !snapshot.prompts) { return; }
    var prompts = snapshot.prompts.slice(0, 40);
    charts.prompts = new window.Chart(canvas, {
      type: "bar",
      data: { labels: prompts.map(function (p) { return p.name; }),
              datasets: [{ label: "rating", data: prompts.map(function (p) { return p.rating; }),
                           backgroundColor: "#3355dd" },
                         { label: "weight", data: prompts.map(function (p) { return p.mass; }),
                           backgroundColor: "#e0a030" }] },
      options: { indexAxis: "y", maintainAspectRatio: false, animation: false }
    });
  }

  function shade() {
    document.querySelectorAll("table.heatmap td.rate").forEach(function (td) {
      var v = parseFloat(td.dataset.value);
      if (!isNaN(v)) {
        td.style.backgroundColor = v >= 0.5 ? "rgba(40,150,70," + (v - 0.5) * 1.6 + ")"
                                            : "rgba(210,60,50," + (0.5 - v) * 1.6 + ")";
      }
    });
    var counts = Array.prototype.slice.call(document.querySelectorAll("table.heatmap td.count"));
    var top = Math.max.apply(null, counts.map(function (td) { return +td.dataset.value || 0; }).concat([1]));
    counts.forEach(function (td) {
      // at most half opaque: the count stays legible on the darkest cell (WCAG AA contrast)
      td.style.backgroundColor = "rgba(51,85,221," + (0.5 * (+td.dataset.value || 0) / top) + ")";
    });
  }

  // A tap (or click) on a matrix cell says what it is, with its interval: titles need a hover.
  function cellInfo(event) {
    var td = event.target.closest("table.heatmap td");
    if (!td) { return; }
    var tr = td.parentNode;
    var table = tr.closest("table");
    var column = Array.prototype.indexOf.call(tr.children, td);
    var head = table.querySelectorAll("thead th")[column];
    var text = tr.querySelector("th").textContent + " vs " + (head.title || head.textContent) +
      ": " + td.textContent + (td.title ? " (" + td.title + ")" : "");
    table.closest("figure").querySelector(".cell-info").textContent = text;
  }

  var shown = -1;  // the watermark on screen: a late, older snapshot never replaces a newer one
  function apply(snapshot) {
    if (!snapshot || snapshot.method !== config.method) { return; }
    if (snapshot.watermark < shown) { return; }
    shown = snapshot.watermark;
    renderTable(snapshot);
    intervalChart(snapshot);
  }

  function refetch() {
    fetch(config.api, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(apply)
      .catch(function () {});
  }

  var delay = 1000;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + config.ws);
    socket.onopen = function () {
      delay = 1000;
      document.getElementById("board-status").dataset.live = "open";
    };
    socket.onmessage = function (event) { apply(JSON.parse(event.data)); };
    socket.onclose = function () {
      // Pushes sent while disconnected are lost: fetch the latest snapshot on the way back.
      document.getElementById("board-status").dataset.live = "closed";
      setTimeout(function () { refetch(); connect(); }, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  var box = document.getElementById("board-filter-box");
  if (box) {
    box.hidden = false;
    document.getElementById("board-filter").addEventListener("input", filter);
  }
  ago();
  setInterval(ago, 30000);
  var snapshot = readJSON("snapshot-data");
  if (snapshot) { intervalChart(snapshot); promptChart(snapshot); }
  historyChart(readJSON("history-data"));
  shade();
  document.querySelectorAll("table.heatmap").forEach(function (t) { t.addEventListener("click", cellInfo); });
  connect();
})();
