// The comparator's one chart: the first competitor's mean score by answer-length difference.
(function () {
  "use strict";
  var node = document.getElementById("length-data");
  var canvas = document.getElementById("length-chart");
  if (!node || !canvas || !window.Chart) { return; }
  var data = JSON.parse(node.textContent);
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: data.token_difference.map(function (x) { return Math.round(x); }),
      datasets: [{ label: "mean score (win 1, tie ½)", data: data.x_score, borderColor: "#3355dd",
                   pointRadius: 3, tension: 0 }]
    },
    options: { maintainAspectRatio: false, animation: false,
      scales: { y: { min: 0, max: 1 }, x: { title: { display: true, text: "token difference" } } },
      plugins: { legend: { display: false } } }
  });
})();
