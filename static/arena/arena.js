// Keyboard shortcuts for the arena: each element with data-key lists the keys that press it.
// Kept in a file (no inline script) so the pages work under a strict Content-Security-Policy.
(function () {
  "use strict";
  var targets = document.querySelectorAll("[data-key]");
  var form = document.getElementById("vote-form");
  var sent = false;
  if (form) {
    form.addEventListener("submit", function (event) {
      // One vote per battle: a second click while the first is in flight is dropped here.
      if (sent) { event.preventDefault(); return; }
      sent = true;
      var chosen = event.submitter;
      window.setTimeout(function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        if (chosen) { chosen.classList.add("chosen"); }
      }, 0);
    });
  }
  // "Share": copy the result's permalink (the link itself still works without a clipboard).
  document.querySelectorAll("[data-copy]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!navigator.clipboard || !window.isSecureContext) { return; }
      event.preventDefault();
      var status = document.getElementById("copy-status");
      navigator.clipboard.writeText(link.dataset.copy).then(function () {
        if (status) { status.textContent = "Link copied: anyone with it can see this result."; }
      }, function () { window.location.href = link.href; });
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    var key = event.key.toLowerCase();
    for (var i = 0; i < targets.length; i++) {
      if (targets[i].dataset.key.split(" ").indexOf(key) !== -1) {
        event.preventDefault();
        targets[i].click();
        return;
      }
    }
  });
})();
