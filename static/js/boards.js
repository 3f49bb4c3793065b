/*
 * Daily poster IDs: a click on a comment's ID highlights every comment of that poster on the
 * page and says how many they wrote here (with a button to mute the ID, when the mute list is
 * on the page: static/js/mute.js). A second click, or Escape, clears it. The words come from
 * the page (articles/_boards.html). Without JavaScript the ID is plain text.
 */
(function () {
  "use strict";

  var texts = null;
  var active = null; // the ID highlighted now

  function word(name) {
    return texts ? texts.getAttribute("data-" + name) || "" : "";
  }

  function clear() {
    var marked = document.querySelectorAll(".is-same-poster");
    for (var i = 0; i < marked.length; i++) {
      marked[i].classList.remove("is-same-poster");
    }
    var pressed = document.querySelectorAll("button.poster-id[aria-pressed='true']");
    for (var j = 0; j < pressed.length; j++) {
      pressed[j].setAttribute("aria-pressed", "false");
    }
    var info = document.querySelector(".poster-info");
    if (info) {
      info.parentNode.removeChild(info);
    }
    active = null;
  }

  function highlight(button) {
    var id = button.getAttribute("data-poster-id");
    var same = id === active;
    clear();
    if (same) {
      return;
    }
    active = id;
    var comments = document.querySelectorAll("article.comment[data-poster-id]");
    var count = 0;
    for (var i = 0; i < comments.length; i++) {
      if (comments[i].getAttribute("data-poster-id") === id) {
        comments[i].classList.add("is-same-poster");
        count += 1;
      }
    }
    var buttons = document.querySelectorAll("button.poster-id");
    for (var j = 0; j < buttons.length; j++) {
      if (buttons[j].getAttribute("data-poster-id") === id) {
        buttons[j].setAttribute("aria-pressed", "true");
      }
    }
    var info = document.createElement("span");
    info.className = "poster-info";
    info.setAttribute("role", "status");
    var text = document.createElement("span");
    text.className = "poster-count";
    text.textContent = word(count === 1 ? "count-one" : "count-other")
      .replace("{id}", id).replace("{count}", String(count));
    info.appendChild(text);
    if (document.getElementById("mute-panel")) {
      var mute = document.createElement("button");
      mute.type = "button";
      mute.className = "link-button poster-mute";
      mute.textContent = word("mute-id");
      mute.addEventListener("click", function () {
        clear();
        document.dispatchEvent(new CustomEvent("forum:mute", { detail: { kind: "id", value: id } }));
      });
      info.appendChild(document.createTextNode(" "));
      info.appendChild(mute);
    }
    button.parentNode.insertBefore(info, button.nextSibling);
  }

  // The plain-text IDs become buttons: a control only where it does something.
  function enhance(root) {
    var plain = root.querySelectorAll("article.comment[data-poster-id] span.poster-id");
    for (var i = 0; i < plain.length; i++) {
      var span = plain[i];
      var button = document.createElement("button");
      button.type = "button";
      button.className = "poster-id";
      button.title = span.title;
      button.textContent = span.textContent;
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("data-poster-id", span.closest("article.comment").getAttribute("data-poster-id"));
      span.parentNode.replaceChild(button, span);
    }
  }

  function init() {
    texts = document.getElementById("boards-texts");
    enhance(document);
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button.poster-id");
      if (button) {
        highlight(button);
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && active) {
        clear();
      }
    });
    var section = document.getElementById("comments");
    if (section && window.MutationObserver) {
      new MutationObserver(function () { enhance(section); })
        .observe(section, { childList: true, subtree: true });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
