/*
 * Mute lists (NG): the reader hides comments by word, by daily ID or by name. The lists are kept
 * in this browser (localStorage) and never sent anywhere; they are matched against what every
 * comment already carries in the (cached, public) page: data-name, data-poster-id and its text.
 * A muted comment folds to one line that opens on a click; its replies stay. The words come
 * from the panel's data attributes, translated by the template (articles/_boards.html).
 * Without JavaScript there is no panel and nothing is muted.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "forum.mute";
  var KINDS = ["word", "id", "name"];

  function emptyLists() {
    return { word: [], id: [], name: [] };
  }

  function load() {
    var lists = emptyLists();
    try {
      var stored = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "{}");
      KINDS.forEach(function (kind) {
        if (Array.isArray(stored[kind])) {
          lists[kind] = stored[kind].filter(function (value) { return typeof value === "string"; });
        }
      });
    } catch (error) {
      // Storage refused (private mode) or spoilt: nothing muted.
    }
    return lists;
  }

  function save(lists) {
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(lists));
    } catch (error) {
      // Kept for this page only.
    }
  }

  // Full- and half-width, upper and lower case alike, as the site compares names.
  function fold(text) {
    return (text.normalize ? text.normalize("NFKC") : text).toLowerCase().trim();
  }

  function cleanValue(kind, value) {
    value = value.trim();
    if (kind === "id") {
      value = value.replace(/^ID[:：]/i, "");
    }
    return value;
  }

  function mutedBy(comment, lists) {
    if (comment.classList.contains("is-gone")) {
      return null;
    }
    var posterId = comment.getAttribute("data-poster-id");
    if (posterId && lists.id.indexOf(posterId) !== -1) {
      return "id";
    }
    var name = fold(comment.getAttribute("data-name") || "");
    if (name && lists.name.some(function (muted) { return fold(muted) === name; })) {
      return "name";
    }
    var body = comment.querySelector(".comment-body");
    var text = body ? fold(body.textContent) : "";
    if (text && lists.word.some(function (word) { return fold(word) && text.indexOf(fold(word)) !== -1; })) {
      return "word";
    }
    return null;
  }

  function init() {
    var panel = document.getElementById("mute-panel");
    if (!panel || !window.localStorage) {
      return;
    }
    var opener = document.querySelector(".mute-open");
    var openButton = opener.querySelector("button");
    var entries = panel.querySelector(".mute-entries");
    var empty = panel.querySelector(".mute-empty");
    var clear = panel.querySelector(".mute-clear");
    var form = panel.querySelector(".mute-add");
    var lists = load();

    function word(name) {
      return panel.getAttribute("data-" + name) || "";
    }

    function unfold(comment) {
      comment.classList.remove("is-muted", "is-unfolded");
      var line = comment.querySelector(".muted-line");
      if (line) {
        line.parentNode.removeChild(line);
      }
    }

    function foldAway(comment, kind) {
      comment.classList.add("is-muted");
      var line = document.createElement("p");
      line.className = "muted-line";
      var text = document.createElement("span");
      text.textContent = word("muted").replace("{kind}", word("kind-" + kind));
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button muted-toggle";
      button.setAttribute("aria-expanded", "false");
      button.textContent = word("show");
      button.addEventListener("click", function () {
        var open = comment.classList.toggle("is-unfolded");
        button.setAttribute("aria-expanded", open ? "true" : "false");
        button.textContent = open ? word("hide") : word("show");
      });
      line.appendChild(text);
      line.appendChild(document.createTextNode(" "));
      line.appendChild(button);
      comment.insertBefore(line, comment.firstChild);
    }

    function apply() {
      var comments = document.querySelectorAll("article.comment");
      for (var i = 0; i < comments.length; i++) {
        var comment = comments[i];
        var kind = mutedBy(comment, lists);
        var was = comment.classList.contains("is-muted");
        if (was && !kind) {
          unfold(comment);
        } else if (kind && !was) {
          foldAway(comment, kind);
        }
      }
    }

    function showEntries() {
      entries.textContent = "";
      var count = 0;
      KINDS.forEach(function (kind) {
        lists[kind].forEach(function (value) {
          count += 1;
          var item = document.createElement("li");
          item.className = "mute-entry";
          item.setAttribute("data-kind", kind);
          var label = document.createElement("span");
          label.textContent = word("kind-" + kind) + ": " + value;
          var remove = document.createElement("button");
          remove.type = "button";
          remove.className = "link-button mute-remove";
          remove.textContent = word("remove");
          remove.setAttribute("aria-label", word("remove") + " " + label.textContent);
          remove.addEventListener("click", function () {
            lists[kind] = lists[kind].filter(function (other) { return other !== value; });
            changed();
          });
          item.appendChild(label);
          item.appendChild(document.createTextNode(" "));
          item.appendChild(remove);
          entries.appendChild(item);
        });
      });
      empty.hidden = count > 0;
      clear.hidden = count === 0;
    }

    function changed() {
      save(lists);
      showEntries();
      apply();
    }

    function add(kind, value) {
      value = cleanValue(kind, value);
      if (KINDS.indexOf(kind) === -1 || !value || lists[kind].indexOf(value) !== -1) {
        return;
      }
      lists[kind].push(value);
      changed();
    }

    function setOpen(open) {
      panel.hidden = !open;
      openButton.setAttribute("aria-expanded", open ? "true" : "false");
    }

    opener.hidden = false;
    openButton.addEventListener("click", function () {
      setOpen(panel.hidden);
      if (!panel.hidden) {
        form.querySelector("input").focus();
      }
    });
    panel.querySelector(".mute-close").addEventListener("click", function () {
      setOpen(false);
      openButton.focus();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = form.querySelector("input");
      add(form.querySelector("select").value, input.value);
      input.value = "";
      input.focus();
    });
    clear.addEventListener("click", function () {
      lists = emptyLists();
      changed();
    });
    // From boards.js: "Mute this ID" next to a highlighted ID.
    document.addEventListener("forum:mute", function (event) {
      if (event.detail) {
        add(event.detail.kind, event.detail.value);
      }
    });
    // Another tab changed the lists.
    window.addEventListener("storage", function (event) {
      if (event.key === STORAGE_KEY) {
        lists = load();
        showEntries();
        apply();
      }
    });
    // Comments put in the page later (new comments as they arrive) are matched too.
    var section = document.getElementById("comments");
    if (section && window.MutationObserver) {
      new MutationObserver(apply).observe(section, { childList: true, subtree: true });
    }
    showEntries();
    apply();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
