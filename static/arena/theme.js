// Light or dark: the visitor's choice (kept in localStorage) over the system's
// prefers-color-scheme. Loaded in <head>, not deferred, so the page is never painted in the
// wrong theme first; a file rather than an inline script, for a strict Content-Security-Policy.
(function () {
  "use strict";
  var KEY = "arena-theme";
  var root = document.documentElement;
  var stored = null;
  try { stored = window.localStorage.getItem(KEY); } catch (e) { stored = null; }
  if (stored === "dark" || stored === "light") { root.dataset.theme = stored; }

  function current() {
    if (root.dataset.theme) { return root.dataset.theme; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function label(button) {
    var dark = current() === "dark";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
  }

  // Chart.js draws its text and grid in fixed greys: take them from the theme's colours, and
  // redraw the page's charts when the theme changes.
  function chartColours() {
    if (!window.Chart) { return; }
    var style = window.getComputedStyle(root);
    var text = style.getPropertyValue("--muted").trim();
    var line = style.getPropertyValue("--line").trim();
    var defaults = window.Chart.defaults;
    defaults.color = text;
    defaults.borderColor = line;
    defaults.scale.ticks.color = text;  // scales keep their own greys otherwise
    defaults.scale.grid.color = line;
    Object.values(window.Chart.instances || {}).forEach(function (chart) {
      Object.values(chart.options.scales || {}).forEach(function (scale) {
        scale.ticks.color = text;
        scale.grid.color = line;
        if (scale.title) { scale.title.color = text; }
      });
      chart.options.plugins.legend.labels.color = text;
      chart.update("none");
    });
  }
  document.addEventListener("arena:theme", chartColours);
  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", chartColours);
  }

  document.addEventListener("DOMContentLoaded", function () {
    chartColours();  // after the deferred scripts that drew the charts
    var button = document.getElementById("theme-toggle");
    if (!button) { return; }
    label(button);
    button.addEventListener("click", function () {
      var next = current() === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      try { window.localStorage.setItem(KEY, next); } catch (e) { /* private mode: this page only */ }
      label(button);
      document.dispatchEvent(new CustomEvent("arena:theme", { detail: next }));
    });
    if (window.matchMedia) {
      window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () { label(button); });
    }
  });
})();
