// Own-prompt battles: the prompt goes over the websocket, both answers stream back into the
// page piece by piece. The vote buttons work while the answers stream (a vote cuts them off);
// the names arrive only with the vote's confirmation. No inline script (strict CSP).
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) { return; }
  var form = document.getElementById("prompt-form");
  var input = document.getElementById("prompt");
  var send = document.getElementById("send");
  var label = document.getElementById("prompt-label");
  var status = document.getElementById("live-status");
  var conversation = document.getElementById("conversation");
  var votes = document.getElementById("live-vote");
  var voidBox = document.getElementById("live-void");
  var result = document.getElementById("live-result");
  var maxTurns = parseInt(root.dataset.maxTurns, 10) || 1;
  var battle = null, turns = 0, ready = false, lastPrompt = "", voted = false, pending = null;
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var socket = new WebSocket(scheme + window.location.host + root.dataset.socket);

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }
  function setVoting(on) {
    votes.hidden = !battle;
    votes.querySelectorAll("button").forEach(function (b) { b.disabled = !on; });
  }
  function setAsking(on) {
    send.disabled = !on;
    label.textContent = battle && !voted ? "Your follow-up" : "Your prompt";
  }
  function answerBox(turn, side) {
    return document.getElementById("answer-" + turn + "-" + side);
  }
  function addTurn(text) {
    var turn = turns;
    var section = document.createElement("section");
    section.className = "turn";
    section.setAttribute("aria-label", "Turn " + (turn + 1));
    var prompt = document.createElement("div");
    prompt.className = "prompt";
    prompt.textContent = text;
    section.appendChild(prompt);
    var answers = document.createElement("div");
    answers.className = "answers";
    ["a", "b"].forEach(function (side) {
      var article = document.createElement("article");
      article.className = "answer streaming";
      article.id = "answer-" + turn + "-" + side;
      var heading = document.createElement("h2");
      heading.className = "side-" + side;
      heading.textContent = "Model " + side.toUpperCase();
      var body = document.createElement("p");
      body.className = "text";
      article.appendChild(heading);
      article.appendChild(body);
      answers.appendChild(article);
    });
    section.appendChild(answers);
    conversation.appendChild(section);
    pending = section;
  }
  function ask(text) {
    lastPrompt = text;
    var frame = battle && !voted ? { type: "followup", battle: battle, text: text } : { type: "prompt", text: text };
    if (frame.type === "prompt") { conversation.textContent = ""; turns = 0; battle = null; voted = false; }
    addTurn(text);
    socket.send(JSON.stringify(frame));
    ready = false;
    setAsking(false);
    say("The models are writing…");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (socket.readyState !== WebSocket.OPEN) { say("Not connected; reload the page.", true); return; }
    ask(input.value);
  });
  document.getElementById("new-pair").addEventListener("click", function () {
    voidBox.hidden = true;
    battle = null;
    ask(lastPrompt);
  });
  votes.querySelectorAll("button").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!battle || voted) { return; }
      setVoting(false);
      button.classList.add("chosen");
      socket.send(JSON.stringify({ type: "vote", battle: battle, outcome: button.dataset.outcome }));
    });
  });

  // Send stays disabled (as the page renders it) until the socket is open: a prompt sent
  // before would be lost, and a fast voter on a slow phone network would be told to reload.
  socket.addEventListener("open", function () { setAsking(true); say(""); });
  socket.addEventListener("close", function () { setAsking(false); setVoting(false); say("Disconnected; reload the page to go on.", true); });
  socket.addEventListener("message", function (event) {
    var m = JSON.parse(event.data);
    if (m.type === "battle") {
      battle = m.battle; turns = 1; pending = null; setVoting(true); input.value = "";
    } else if (m.type === "delta") {
      if (m.turn + 1 > turns) { turns = m.turn + 1; pending = null; input.value = ""; }
      var box = answerBox(m.turn, m.side);
      if (box) { box.querySelector(".text").textContent += m.text; }
    } else if (m.type === "done") {
      var done = answerBox(m.turn, m.side);
      if (done) { done.classList.remove("streaming"); }
    } else if (m.type === "ready") {
      ready = true;
      var left = maxTurns - turns;
      setAsking(left > 0 && !voted);
      say(left > 0 ? "Both answers are in: vote, or ask a follow-up (" + left + " left)." : "Both answers are in: vote.");
    } else if (m.type === "void") {
      battle = null; setVoting(false); votes.hidden = true;
      conversation.querySelectorAll(".answer").forEach(function (a) { a.classList.remove("streaming"); });
      document.getElementById("live-void-text").textContent = m.message;
      voidBox.hidden = false; say(""); setAsking(true);
    } else if (m.type === "voted") {
      voted = true; setVoting(false); votes.hidden = true;
      conversation.querySelectorAll(".answer").forEach(function (a) { a.classList.remove("streaming"); });
      ["a", "b"].forEach(function (side) {
        conversation.querySelectorAll("h2.side-" + side).forEach(function (h) {
          h.textContent = "Model " + side.toUpperCase() + ": " + m[side];
          h.dataset.name = m[side];
        });
      });
      document.getElementById("live-result-text").textContent = "Vote recorded. A was " + m.a + ", B was " + m.b + ".";
      document.getElementById("live-result-link").href = m.url;
      result.hidden = false; say(""); setAsking(true);
    } else if (m.type === "error") {
      say(m.message, true);
      if (pending) { pending.remove(); pending = null; }
      setAsking(!battle || voted || ready);
      if (battle && !voted) { setVoting(true); }
    }
  });
})();
