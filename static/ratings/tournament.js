// Keeps a tournament page current: polls its JSON every few seconds until the bracket is over.
(function () {
  "use strict";
  const progress = document.getElementById("progress");
  if (!progress) return;
  const url = progress.dataset.url;

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function rows(tbody, items, columns, empty) {
    tbody.replaceChildren();
    if (!items.length) {
      const tr = document.createElement("tr");
      const td = cell(empty);
      td.colSpan = 5;
      tr.append(td);
      tbody.append(tr);
      return;
    }
    for (const item of items) {
      const tr = document.createElement("tr");
      for (const column of columns) tr.append(cell(column(item)));
      tbody.append(tr);
    }
  }

  async function refresh() {
    let data;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return true;
      data = await response.json();
    } catch (error) {
      return true;  // offline for a moment: try again later
    }
    progress.textContent = `${data.recorded} matches played, ${data.pending} playable now` +
      (data.done ? ": finished." : ".");
    rows(document.querySelector("#standings tbody"), data.standings, [
      (s) => s.name, (s) => (s.rating === null ? "–" : Math.round(s.rating)), (s) => s.wins.toFixed(1), (s) => s.matches,
    ], "No match played yet.");
    rows(document.querySelector("#matches tbody"), data.matches, [
      (m) => m.prompt, (m) => m.round, (m) => m.a, (m) => m.b,
      (m) => m.outcome ? m.outcome + (m.winner ? ` (${m.winner})` : "") : "waiting for a judge",
    ], "");
    return !data.done;
  }

  async function loop() {
    if (await refresh()) setTimeout(loop, 3000);
  }
  setTimeout(loop, 3000);
})();
