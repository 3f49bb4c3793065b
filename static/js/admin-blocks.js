/*
 * The article body in the admin: up and down buttons on each block row. They move the row and
 * renumber the hidden "order" fields, from which the server numbers the blocks. Without this
 * file the blocks keep their order and new ones go at the end.
 */
(function () {
  "use strict";

  function group() {
    return document.getElementById("blocks-group");
  }

  function rows() {
    var g = group();
    return g ? Array.prototype.filter.call(
      g.querySelectorAll("tr.form-row"),
      function (row) { return !row.classList.contains("empty-form"); }
    ) : [];
  }

  function renumber() {
    rows().forEach(function (row, index) {
      var order = row.querySelector("input[name$='-order']");
      if (order) { order.value = String(index + 1); }
    });
  }

  function button(label, text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "block-move";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.title = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function addControls(row) {
    var cell = row.querySelector("td.original");
    var order = row.querySelector("input[name$='-order']");
    if (!cell || !order || cell.querySelector(".block-move")) { return; }
    // The labels come with the page, in the admin's language (BlockForm.order).
    cell.appendChild(button(order.dataset.up, "↑", function () {
      var list = rows(), at = list.indexOf(row);
      if (at > 0) { row.parentNode.insertBefore(row, list[at - 1]); renumber(); this.focus(); }
    }));
    cell.appendChild(button(order.dataset.down, "↓", function () {
      var list = rows(), at = list.indexOf(row);
      if (at >= 0 && at < list.length - 1) {
        row.parentNode.insertBefore(list[at + 1], row);
        renumber();
        this.focus();
      }
    }));
  }

  function init() {
    var g = group();
    if (!g) { return; }
    rows().forEach(addControls);
    renumber();
    var form = g.closest("form");
    if (form) { form.addEventListener("submit", renumber); }
    document.addEventListener("formset:added", function (event) {
      if (event.detail && event.detail.formsetName === "blocks") {
        addControls(event.target);
        renumber();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
