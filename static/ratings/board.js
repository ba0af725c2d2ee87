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

  function renderTable(snapshot) {
    var body = document.querySelector("#ratings-table tbody");
    var leaders = snapshot.leader_group || [];
    body.textContent = "";
    var group = 0;
    snapshot.competitors.forEach(function (row) {
      if ((row.group || 0) !== group) {
        group = row.group;
        var head = document.createElement("tr");
        head.className = "group-head";
        var th = document.createElement("th");
        th.colSpan = 9;
        th.textContent = "Separate group " + group + " (not comparable)";
        head.appendChild(th);
        body.appendChild(head);
      }
      var tr = document.createElement("tr");
      tr.dataset.competitor = row.name;
      if (row.group) { tr.dataset.group = row.group; }
      [row.rank, row.rank_upper,
       row.rank_best ? row.rank_best + "–" + row.rank_worst : "–",
       row.name, fmt(row.rating),
       row.ci_low === null ? "–" : fmt(row.ci_low) + " – " + fmt(row.ci_high),
       row.n_votes === null ? "–" : row.n_votes,
       pct(row.tie_rate), pct(row.both_bad_rate)].forEach(function (value, k) {
        var td = document.createElement("td");
        td.textContent = value;
        if (k === 0 && overallRanks[row.name] !== undefined) {
          // a category board: the rank against the overall board, as the server rendered it
          var delta = overallRanks[row.name] - row.rank;
          var mark = document.createElement("span");
          mark.className = "rank-delta"; mark.dataset.rankDelta = delta;
          mark.title = "Rank " + overallRanks[row.name] + " on the overall board";
          mark.textContent = delta > 0 ? "▲" + delta : delta < 0 ? "▼" + (-delta) : "=";
          td.appendChild(document.createTextNode(" "));
          td.appendChild(mark);
        }
        if (k === 3 && leaders.indexOf(row.name) >= 0) {
          var badge = document.createElement("span");
          badge.className = "badge"; badge.title = "Cannot be told apart from the leader";
          badge.textContent = "leader group";
          td.appendChild(document.createTextNode(" "));
          td.appendChild(badge);
        }
        if (k === 3 && row.group) {
          var separate = document.createElement("span");
          separate.className = "badge separate";
          separate.title = "Never met the main group: not comparable with it";
          separate.textContent = "separate group " + row.group;
          td.appendChild(document.createTextNode(" "));
          td.appendChild(separate);
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    separateGroups(snapshot.separate_groups || []);
    document.getElementById("board-status").innerHTML = "";
    var status = document.getElementById("board-status");
    status.textContent = snapshot.n_votes + " votes up to vote #" + snapshot.watermark +
      ", computed " + snapshot.computed_at + ". ";
    var live = document.createElement("span");
    live.id = "live-indicator"; live.className = "live"; live.textContent = "live";
    status.appendChild(live);
    status.dataset.watermark = snapshot.watermark;
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
                         { label: "mass", data: prompts.map(function (p) { return p.mass; }),
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

  var snapshot = readJSON("snapshot-data");
  if (snapshot) { intervalChart(snapshot); promptChart(snapshot); }
  historyChart(readJSON("history-data"));
  shade();
  connect();
})();
