/*
 * New comments as they arrive, and the comments posted since the reader's last visit.
 *
 * While an article page is open it asks the server whether comments were posted since the page
 * was made (live/views.py): a conditional GET that answers 304 while the article's counter has
 * not moved. When there are new ones it offers them in a button; a click inserts them where the
 * page shows them (replies under their parent, new threads where the order puts them) or lists
 * links to them when they belong to another page. Nothing else on the page is touched, so a
 * reply being typed stays as it is. Polling slows down while nothing comes and stops while the
 * tab is hidden.
 *
 * The highest comment number the reader has seen of each article is kept in localStorage;
 * comments above it are marked as new on the next visit. The page's own HTML is the same for
 * every reader, so this works with cached pages.
 *
 * The words come translated in the bar's data attributes (live/templatetags/live.py).
 */
(function () {
  "use strict";

  var bar = document.getElementById("live-bar");
  if (!bar) {
    return;
  }
  var section = bar.closest(".comments") || document;

  var SLOWEST = 120000;  // while nothing new comes, polls grow apart up to this
  var AFTER_ERROR = 600000;  // and up to this after errors

  var data = bar.dataset;
  var storageKey = "forum:last-seen:" + data.article;
  var after = parseInt(data.after, 10) || 0;
  // The article's count of changes to what readers see: comments made public since then
  // (a held one approved) come with the next answer whatever their number.
  var since = parseInt(data.since, 10) || 0;
  var base = Math.max(parseInt(data.interval, 10) || 20, 1) * 1000;
  var delay = base;
  var etag = null;
  var timer = null;
  var inFlight = false;
  var lastPoll = 0;
  var stopped = !data.url;
  var button = bar.querySelector(".live-button");
  var status = bar.querySelector(".live-status");
  var elsewhere = bar.querySelector(".live-elsewhere");

  function format(one, other, count) {
    return (count === 1 ? one : other).replace("%(count)s", String(count));
  }

  /* The last visit ------------------------------------------------------------------------------ */

  function lastSeen() {
    try {
      var value = window.localStorage.getItem(storageKey);
      return value === null ? null : parseInt(value, 10);
    } catch (error) {
      return null;  // storage refused (private mode, settings): nothing is marked
    }
  }

  function remember(number) {
    try {
      var seen = lastSeen();
      if (seen === null || isNaN(seen) || number > seen) {
        window.localStorage.setItem(storageKey, String(number));
      }
    } catch (error) {
      /* nothing kept: the next visit marks nothing */
    }
  }

  function words(className, text) {
    var span = document.createElement("span");
    span.className = className;
    span.textContent = text;
    return span;
  }

  // The comments above new replies, with the replies each has now (the answer's "replies"):
  // their toggles say so, or they get one, as a reload would show them.
  function countReplies(replies) {
    Object.keys(replies || {}).forEach(function (number) {
      var parent = document.getElementById("c" + number);
      var list = document.getElementById("r" + number);
      var footer = parent && parent.querySelector(":scope > footer.actions");
      if (!footer || !list || !section.contains(parent)) {
        return;  // not on this page, or its replies continue on its own page
      }
      var toggle = footer.querySelector('button.toggle[aria-controls="' + list.id + '"]');
      if (!toggle) {
        toggle = document.createElement("button");
        toggle.type = "button";
        toggle.className = "toggle";
        toggle.setAttribute("aria-expanded", "true");
        toggle.setAttribute("aria-controls", list.id);
        footer.append(toggle);
      }
      var count = replies[number];
      toggle.setAttribute("data-count", String(count));
      toggle.replaceChildren(
        words("when-open", format(data.hide, data.hideOther, count)),
        words("when-closed", format(data.show, data.showOther, count))
      );
      toggle.hidden = false;
    });
  }

  function markNew(comment) {
    if (comment.classList.contains("is-new")) {
      return;
    }
    comment.classList.add("is-new");
    var header = comment.querySelector(".comment-header");
    if (header) {
      var badge = document.createElement("span");
      badge.className = "new-badge";
      badge.textContent = data.badge;
      header.append(" ", badge);
    }
  }

  function shownComments() {
    return section.querySelectorAll("article.comment[data-number]");
  }

  // The reader's own comments are not news to them: the one they land on after posting
  // (?new=N), and those they may still edit.
  function isOwn(comment, number) {
    var landed = new URLSearchParams(window.location.search).get("new");
    return String(number) === landed ||
      comment.querySelector(':scope > footer.actions a.action[href$="/edit/"]') !== null;
  }

  var seen = lastSeen();
  var highest = after;
  shownComments().forEach(function (comment) {
    var number = parseInt(comment.getAttribute("data-number"), 10);
    highest = Math.max(highest, number);
    if (seen !== null && !isNaN(seen) && number > seen && !isOwn(comment, number)) {
      markNew(comment);
    }
  });
  remember(highest);

  /* Putting new comments in place --------------------------------------------------------------- */

  function commentTree() {
    var tree = section.querySelector("ol.comment-tree");
    if (!tree) {
      tree = document.createElement("ol");
      tree.className = "comment-tree";
      var empty = section.querySelector("p.empty");
      if (empty) {
        empty.replaceWith(tree);
      } else {
        bar.after(tree);
      }
    }
    return tree;
  }

  function itemOf(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return template.content.firstElementChild;
  }

  // Where the page's order puts a new thread: last in every order but newest first, where it
  // comes first; on another page than this one, it is linked instead.
  function placeThread(item) {
    if (data.order === "newest") {
      if (data.firstPage !== "1") {
        return false;
      }
      commentTree().prepend(item);
      return true;
    }
    if (data.lastPage !== "1") {
      return false;
    }
    commentTree().append(item);
    return true;
  }

  function placeReply(item, parentNumber) {
    var parent = document.getElementById("c" + parentNumber);
    if (!parent || !parent.matches("article.comment") || !section.contains(parent)) {
      return false;
    }
    var list = document.getElementById("r" + parentNumber);
    if (!list) {
      list = document.createElement("ol");
      list.className = "replies";
      list.id = "r" + parentNumber;
      parent.parentElement.append(list);
    }
    list.append(item);
    return true;
  }

  function place(comment) {
    if (!comment.html) {
      return false;  // nested deeper than the page shows: its own page does
    }
    var item = itemOf(comment.html);
    // Shown again after it was hidden: it takes the place of its tombstone.
    var gone = document.getElementById("c" + comment.number);
    if (gone && gone.matches("article.comment.is-gone") && section.contains(gone)) {
      gone.replaceWith(item.querySelector("article.comment"));
      return true;
    }
    return comment.parent === null ? placeThread(item) : placeReply(item, comment.parent);
  }

  function linkElsewhere(comment) {
    if (elsewhere.querySelector('a[data-number="' + comment.number + '"]')) {
      return;
    }
    var link = document.createElement("a");
    link.href = comment.url;
    link.className = "reply-ref";
    link.setAttribute("data-number", String(comment.number));
    link.textContent = ">>" + comment.number;
    elsewhere.append(" ", link);
    elsewhere.hidden = false;
  }

  // The comments a new one answers with >>N list it among their replies, as the page would.
  function addBacklinks(comment) {
    (comment.answers || []).forEach(function (target) {
      var answered = document.getElementById("c" + target);
      if (!answered || !answered.matches("article.comment") || !section.contains(answered)) {
        return;
      }
      var list = answered.querySelector(":scope > p.backlinks");
      if (!list) {
        list = document.createElement("p");
        list.className = "backlinks";
        list.textContent = data.replies;
        answered.insertBefore(list, answered.querySelector(":scope > footer.actions"));
      }
      if (list.querySelector('a[data-number="' + comment.number + '"]')) {
        return;
      }
      var link = document.createElement("a");
      link.className = "reply-ref";
      link.href = comment.url;
      link.setAttribute("data-number", String(comment.number));
      link.textContent = ">>" + comment.number;
      list.append(" ", link);
    });
  }

  function notShown(comments) {
    return comments.filter(function (comment) {
      var shown = document.getElementById("c" + comment.number);
      return !(shown && !shown.matches("article.comment.is-gone")) &&
        !elsewhere.querySelector('a[data-number="' + comment.number + '"]');
    });
  }

  function insert(answer) {
    var waiting = notShown(answer.comments);
    var placed = [];
    // A reply may answer another new comment: place parents first, then what they unlock.
    var progress = true;
    while (progress && waiting.length) {
      progress = false;
      waiting = waiting.filter(function (comment) {
        if (place(comment)) {
          placed.push(comment);
          progress = true;
          return false;
        }
        return true;
      });
    }
    waiting.forEach(linkElsewhere);
    placed.concat(waiting).forEach(addBacklinks);
    placed.forEach(function (comment) {
      var element = document.getElementById("c" + comment.number);
      markNew(element);
      element.querySelectorAll("button.toggle[hidden]").forEach(function (toggle) {
        if (document.getElementById(toggle.getAttribute("aria-controls"))) {
          toggle.hidden = false;
        }
      });
    });
    countReplies(answer.replies);
    // For the page's other scripts (mute lists, poster IDs, reactions): what was just added.
    bar.dispatchEvent(new CustomEvent("forum:comments-added", {
      bubbles: true,
      detail: {
        comments: placed.map(function (comment) {
          return document.getElementById("c" + comment.number);
        })
      }
    }));
    var count = placed.length + waiting.length;
    status.textContent = format(data.shown, data.shownOther, count);
    if (placed.length) {
      var first = document.getElementById("c" + placed[0].number);
      first.setAttribute("tabindex", "-1");
      first.focus({ preventScroll: true });
      first.scrollIntoView({ block: "nearest" });
    }
    after = answer.through;
    since = answer.seq;
    etag = null;
    remember(answer.through);
  }

  /* Asking -------------------------------------------------------------------------------------- */

  function offer(answer) {
    var count = notShown(answer.comments).length;
    if (!count) {
      button.hidden = true;
      return;
    }
    var text = format(data.one, data.other, count);
    if (button.hidden || button.textContent !== text) {
      button.textContent = text;
      button.hidden = false;
    }
  }

  function request(conditional) {
    var url = data.url + "?after=" + after + "&since=" + since + (data.all === "1" ? "&all=1" : "");
    var headers = conditional && etag ? { "If-None-Match": etag } : {};
    // no-store: the browser's cache would answer a 304 itself and hide it from the script.
    return window.fetch(url, { headers: headers, cache: "no-store", credentials: "same-origin" });
  }

  function schedule(wait) {
    window.clearTimeout(timer);
    if (!stopped && !document.hidden) {
      timer = window.setTimeout(poll, wait);
    }
  }

  function poll() {
    if (inFlight || stopped) {
      return;
    }
    inFlight = true;
    lastPoll = Date.now();
    request(true).then(function (response) {
      if (response.status === 304) {
        delay = Math.min(delay * 1.5, SLOWEST);
        return null;
      }
      if (response.status === 404 || response.status === 400) {
        stopped = true;  // the article went away, or the page is not one this script knows
        return null;
      }
      if (!response.ok) {
        var retry = parseInt(response.headers.get("Retry-After"), 10) * 1000;
        delay = Math.min(Math.max(delay * 2, retry || 0), AFTER_ERROR);
        return null;
      }
      etag = response.headers.get("ETag");
      return response.json().then(function (answer) {
        delay = base;
        offer(answer);
      });
    }).catch(function () {
      delay = Math.min(delay * 2, AFTER_ERROR);
    }).then(function () {
      inFlight = false;
      schedule(delay);
    });
  }

  button.addEventListener("click", function () {
    // Asked again, unconditionally: a comment removed since the last poll is not inserted.
    button.disabled = true;
    request(false).then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    }).then(function (answer) {
      button.hidden = true;
      insert(answer);
      delay = base;
      if (answer.more) {
        poll();
      }
    }).catch(function () {
      /* the offer stays; the next poll tries again */
    }).then(function () {
      button.disabled = false;
    });
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      window.clearTimeout(timer);
    } else if (Date.now() - lastPoll >= base) {
      delay = base;
      poll();
    } else {
      schedule(base);
    }
  });

  schedule(base);
}());
