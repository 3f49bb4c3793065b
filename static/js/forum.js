/*
 * Small enhancements for the comment pages. Everything works without this file: reply and quote
 * links lead to a reply page and forms post normally. No inline handlers (the pages will be served
 * under a Content-Security-Policy without 'unsafe-inline') and no requests to other origins.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");

  function commentNumber(comment) {
    return comment.getAttribute("data-number") || comment.id.replace(/^c/, "");
  }

  function isPlainClick(event) {
    // Ctrl/Cmd/Shift-click and middle click keep their usual meaning (new tab, new window).
    return event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey && !event.altKey;
  }

  function isComposing(event) {
    // Safari reports the Enter that ends a composition with keyCode 229 and isComposing false.
    return event.isComposing || event.keyCode === 229;
  }

  /* Reply and quote in place ------------------------------------------------------------------ */

  // The selection is read on pointerdown: on some browsers a tap on the link clears it first.
  var pendingSelection = null;

  function selectedTextIn(body) {
    var selection = window.getSelection && window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) {
      return "";
    }
    if (!body.contains(selection.anchorNode) || !body.contains(selection.focusNode)) {
      return "";
    }
    return selection.toString();
  }

  function quoteOf(text) {
    var lines = text.replace(/\r\n?/g, "\n").replace(/^\n+|\s+$/g, "").split("\n");
    return lines.map(function (line) { return ">" + line; }).join("\n") + "\n";
  }

  function quoteFor(comment, link) {
    var body = comment.querySelector(".comment-body");
    if (!body) {
      return "";
    }
    var text = "";
    if (pendingSelection && pendingSelection.link === link &&
        Date.now() - pendingSelection.time < 5000) {
      text = pendingSelection.text;
    } else {
      text = selectedTextIn(body);
    }
    pendingSelection = null;
    return quoteOf(text || body.innerText);
  }

  function uniqueIds(root, suffix) {
    var renamed = {};
    root.querySelectorAll("[id]").forEach(function (element) {
      renamed[element.id] = element.id + suffix;
      element.id += suffix;
    });
    root.querySelectorAll("label[for]").forEach(function (label) {
      var target = label.getAttribute("for");
      if (renamed[target]) {
        label.setAttribute("for", renamed[target]);
      }
    });
    ["aria-labelledby", "aria-describedby", "aria-controls"].forEach(function (attribute) {
      root.querySelectorAll("[" + attribute + "]").forEach(function (element) {
        var ids = element.getAttribute(attribute).split(/\s+/).map(function (id) {
          return renamed[id] || id;
        });
        element.setAttribute(attribute, ids.join(" "));
      });
    });
  }

  function replyAction(link) {
    var url = new URL(link.href, document.baseURI);
    url.search = "";
    url.hash = "";
    // The reply lands on its thread's page in the order the reader is reading.
    var order = new URLSearchParams(window.location.search).get("order");
    if (order) { url.searchParams.set("order", order); }
    return url.href;
  }

  function moveCaretToEnd(textarea) {
    var end = textarea.value.length;
    textarea.setSelectionRange(end, end);
    textarea.scrollTop = textarea.scrollHeight;
  }

  function openReplyForm(comment, link, quote) {
    var existing = Array.prototype.find.call(comment.children, function (child) {
      return child.matches("form.reply-form");
    });
    if (existing) {
      var current = existing.querySelector("textarea");
      if (current) {
        if (quote && current.value.indexOf(quote) === -1) {
          var separator = current.value && !/\n$/.test(current.value) ? "\n" : "";
          current.value += separator + quote;
        }
        current.focus();
        moveCaretToEnd(current);
      }
      return;
    }
    var template = document.getElementById("reply-template");
    var number = commentNumber(comment);
    var form = template.content.querySelector("form").cloneNode(true);
    form.action = replyAction(link);
    uniqueIds(form, "-r" + number);
    // Cancel beside Post and Preview, before the hint (the template keeps it apart: the form's
    // fields come rendered as the article's own comment form has them).
    var actions = form.querySelector(".form-actions");
    var cancel = form.querySelector("button.cancel");
    if (actions && cancel) {
      var holder = cancel.parentElement;
      actions.insertBefore(cancel, actions.querySelector(".hint"));
      if (holder !== form && !holder.children.length) {
        holder.remove();
      }
    }
    var footer = comment.querySelector(":scope > footer.actions");
    if (footer) {
      footer.after(form);
    } else {
      comment.append(form);
    }
    var textarea = form.querySelector("textarea");
    if (textarea) {
      if (quote) {
        textarea.value = quote;
      }
      textarea.focus();
      moveCaretToEnd(textarea);
    }
  }

  document.addEventListener("pointerdown", function (event) {
    var link = event.target.closest && event.target.closest('a.action[data-action="quote"]');
    var comment = link && link.closest("article.comment");
    var body = comment && comment.querySelector(".comment-body");
    pendingSelection = body ? { link: link, text: selectedTextIn(body), time: Date.now() } : null;
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest(
      'a.action[data-action="reply"], a.action[data-action="quote"]'
    );
    if (!link || !isPlainClick(event) || !document.getElementById("reply-template")) {
      return;
    }
    var comment = link.closest("article.comment");
    if (!comment) {
      return;
    }
    event.preventDefault();
    var quote = link.getAttribute("data-action") === "quote" ? quoteFor(comment, link) : "";
    openReplyForm(comment, link, quote);
  });

  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("form.reply-form .cancel");
    if (!cancel) {
      return;
    }
    var form = cancel.closest("form.reply-form");
    var comment = form.closest("article.comment");
    form.remove();
    var reply = comment && comment.querySelector('a.action[data-action="reply"]');
    if (reply) {
      reply.focus();
    }
  });

  /* Keyboard ------------------------------------------------------------------------------------ */

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.closest) {
      return;
    }
    var form = event.target.closest(".comment-form");
    if (!form) {
      return;
    }
    if (isComposing(event)) {
      // Enter confirms the conversion of Japanese input; it must never send the form.
      if (event.target.matches("input")) {
        event.preventDefault();
      }
      return;
    }
    if (event.target.matches("textarea") && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      var post = form.querySelector('button[name="post"]');
      if (form.requestSubmit) {
        form.requestSubmit(post || undefined);
      } else if (post) {
        post.click();
      } else {
        form.submit();
      }
    }
  });

  // A second Ctrl+Enter or click while the first post is on its way would post the comment twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches(".comment-form") || !event.submitter || event.submitter.name !== "post") {
      return;
    }
    if (form.hasAttribute("data-sending")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sending", "");
    window.setTimeout(function () { form.removeAttribute("data-sending"); }, 10000);
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll(".comment-form[data-sending]").forEach(function (form) {
      form.removeAttribute("data-sending");
    });
  });

  /* Collapse and expand replies ----------------------------------------------------------------- */

  function setExpanded(button, expanded) {
    var list = document.getElementById(button.getAttribute("aria-controls"));
    if (!list) {
      return;
    }
    button.setAttribute("aria-expanded", expanded ? "true" : "false");
    list.hidden = !expanded;
    if (!expanded && list.contains(document.activeElement)) {
      button.focus();
    }
  }

  document.querySelectorAll("button.toggle[hidden]").forEach(function (button) {
    if (document.getElementById(button.getAttribute("aria-controls"))) {
      button.hidden = false;
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.toggle[aria-controls]");
    if (button) {
      setExpanded(button, button.getAttribute("aria-expanded") !== "true");
    }
  });

  function revealComment(comment) {
    // Open every collapsed list of replies around the comment, so that it can be seen.
    for (var list = comment.closest("ol.replies[hidden]"); list;
         list = list.parentElement.closest("ol.replies[hidden]")) {
      var button = document.querySelector('button.toggle[aria-controls="' + list.id + '"]');
      if (button) {
        setExpanded(button, true);
      } else {
        list.hidden = false;
      }
    }
  }

  /* >>N previews -------------------------------------------------------------------------------- */

  var tooltip = null;
  var tooltipLink = null;
  var hideTimer = 0;
  var fetched = new Map();

  function ensureTooltip() {
    if (!tooltip) {
      tooltip = document.createElement("div");
      tooltip.id = "reply-preview";
      tooltip.className = "reply-preview";
      tooltip.setAttribute("role", "tooltip");
      tooltip.hidden = true;
      tooltip.addEventListener("mouseenter", function () { window.clearTimeout(hideTimer); });
      tooltip.addEventListener("mouseleave", function (event) {
        if (!tooltipLink || !tooltipLink.contains(event.relatedTarget)) {
          scheduleHide();
        }
      });
      document.body.append(tooltip);
    }
    return tooltip;
  }

  function previewParts(comment) {
    var parts = [];
    ["header", ".comment-body", ".placeholder"].forEach(function (selector) {
      var part = comment.querySelector(":scope > " + selector);
      if (part) {
        var copy = document.importNode(part, true);
        copy.removeAttribute("id");
        copy.querySelectorAll("[id]").forEach(function (element) { element.removeAttribute("id"); });
        parts.push(copy);
      }
    });
    return parts.length ? parts : null;
  }

  function fetchComment(href, number) {
    var url = new URL(href, document.baseURI);
    url.hash = "";
    if (url.origin !== window.location.origin) {
      return Promise.resolve(null);
    }
    var key = url.href;
    if (!fetched.has(key)) {
      var request = fetch(key, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var comment = page.getElementById("c" + number);
          return comment ? previewParts(comment) : null;
        })
        .catch(function () {
          fetched.delete(key); // Try again on the next hover.
          return null;
        });
      fetched.set(key, request);
    }
    return fetched.get(key);
  }

  function previewFor(link) {
    var number = link.getAttribute("data-number");
    var comment = number && document.getElementById("c" + number);
    if (comment && comment.matches("article.comment")) {
      return Promise.resolve(previewParts(comment));
    }
    return number ? fetchComment(link.href, number) : Promise.resolve(null);
  }

  function place(link) {
    var margin = 8;
    var viewportWidth = document.documentElement.clientWidth;
    var viewportHeight = document.documentElement.clientHeight;
    var rect = link.getBoundingClientRect();
    tooltip.style.maxHeight = "";
    tooltip.style.left = "0px";
    tooltip.style.top = "0px";
    var width = tooltip.offsetWidth;
    var height = tooltip.offsetHeight;
    var left = Math.max(margin, Math.min(rect.left, viewportWidth - width - margin));
    var below = viewportHeight - rect.bottom - margin;
    var above = rect.top - margin;
    var top;
    if (height + 4 <= below || below >= above) {
      top = rect.bottom + 4;
      if (height + 4 > below) {
        tooltip.style.maxHeight = Math.max(below - 4, 80) + "px";
      }
    } else {
      if (height + 4 > above) {
        tooltip.style.maxHeight = (above - 4) + "px";
        height = tooltip.offsetHeight;
      }
      top = rect.top - height - 4;
    }
    tooltip.style.left = left + window.scrollX + "px";
    tooltip.style.top = top + window.scrollY + "px";
  }

  function showPreview(link) {
    window.clearTimeout(hideTimer);
    if (tooltipLink === link) {
      return;
    }
    hidePreview();
    tooltipLink = link;
    previewFor(link).then(function (parts) {
      if (tooltipLink !== link || !parts) {
        return;
      }
      ensureTooltip();
      tooltip.replaceChildren.apply(tooltip, parts.map(function (part) {
        return part.cloneNode(true);
      }));
      tooltip.hidden = false;
      place(link);
      link.setAttribute("aria-describedby", tooltip.id);
    });
  }

  function hidePreview() {
    window.clearTimeout(hideTimer);
    if (tooltipLink) {
      tooltipLink.removeAttribute("aria-describedby");
      tooltipLink = null;
    }
    if (tooltip) {
      tooltip.hidden = true;
      tooltip.replaceChildren();
    }
  }

  function scheduleHide() {
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(hidePreview, 150);
  }

  function previewLink(target) {
    var link = target.closest && target.closest("a.reply-ref[data-number]");
    // Links inside a preview do not open previews of their own.
    return link && !link.closest(".reply-preview") ? link : null;
  }

  document.addEventListener("mouseover", function (event) {
    var link = previewLink(event.target);
    if (link) {
      showPreview(link);
    }
  });

  document.addEventListener("mouseout", function (event) {
    var link = previewLink(event.target);
    if (link && link === tooltipLink && !link.contains(event.relatedTarget) &&
        !(tooltip && tooltip.contains(event.relatedTarget))) {
      scheduleHide();
    }
  });

  document.addEventListener("focusin", function (event) {
    var link = previewLink(event.target);
    if (link) {
      showPreview(link);
    }
  });

  document.addEventListener("focusout", function (event) {
    if (tooltipLink && event.target === tooltipLink) {
      hidePreview();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && tooltipLink) {
      hidePreview();
    }
  });

  // Phones have no hover: the first tap on a >>N opens its preview, a second one follows the
  // link, and a tap anywhere else closes it. Whether the preview was open is read before the
  // tap, whose emulated mouseover opens it too.
  var lastPointer = "";
  var openBeforeTap = null;
  document.addEventListener("pointerdown", function (event) {
    lastPointer = event.pointerType;
    var link = previewLink(event.target);
    openBeforeTap = tooltipLink && tooltip && !tooltip.hidden ? tooltipLink : null;
    if (event.pointerType === "touch" && tooltipLink && !link &&
        !(tooltip && tooltip.contains(event.target))) {
      hidePreview();
    }
  });

  document.addEventListener("click", function (event) {
    var link = previewLink(event.target);
    if (link && lastPointer === "touch" && openBeforeTap !== link) {
      event.preventDefault();
      openBeforeTap = link;
      showPreview(link);
    }
  });

  window.addEventListener("resize", function () {
    if (tooltipLink && tooltip && !tooltip.hidden) {
      place(tooltipLink);
    }
  });

  /* Highlight the new or linked comment -------------------------------------------------------- */

  function showComment(comment, smooth) {
    revealComment(comment);
    comment.scrollIntoView({
      block: "center",
      behavior: smooth && !(reducedMotion && reducedMotion.matches) ? "smooth" : "auto",
    });
  }

  function commentNamed(number) {
    var comment = number && /^\d+$/.test(number) && document.getElementById("c" + number);
    return comment && comment.matches("article.comment") ? comment : null;
  }

  function hashNumber() {
    var match = /^#c(\d+)$/.exec(window.location.hash);
    return match ? match[1] : null;
  }

  var newNumber = new URLSearchParams(window.location.search).get("new");
  var initial = commentNamed(hashNumber() || newNumber);
  if (initial) {
    showComment(initial, false);
  }
  // After posting: focus on the new comment, and say so to screen readers (the page says what).
  var posted = commentNamed(newNumber);
  var announcement = document.getElementById("new-comment-status");
  if (posted) {
    posted.setAttribute("tabindex", "-1");
    posted.focus({ preventScroll: true });
  }
  if (posted && announcement) {
    window.setTimeout(function () {
      announcement.textContent = announcement.getAttribute("data-message");
    }, 100);
  }

  window.addEventListener("hashchange", function () {
    var comment = commentNamed(hashNumber());
    if (comment) {
      showComment(comment, true);
    }
  });
})();
