/* Reactions: a tap changes the counts in place. Without this script the same buttons submit
   the page's reaction form and the server sends the reader back to the comment. */
(function () {
  "use strict";

  function show(group, answer) {
    group.querySelectorAll("button.reaction").forEach(function (button) {
      var count = button.querySelector(".reaction-count");
      if (count && answer.counts[button.value] !== undefined) {
        count.textContent = String(answer.counts[button.value]);
      }
      button.setAttribute("aria-pressed", answer.mine === button.value ? "true" : "false");
    });
  }

  function say(group, message) {
    var old = group.querySelector(".reaction-error");
    if (old) {
      old.remove();
    }
    var error = document.createElement("span");
    error.className = "reaction-error";
    error.setAttribute("role", "alert");
    error.textContent = message;
    group.appendChild(error);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    if (!form.matches(".reaction-form") || !button || !button.matches("button.reaction")) {
      return;
    }
    event.preventDefault();
    var group = button.closest(".reactions");
    if (!group || group.hasAttribute("aria-busy")) {
      return; // One tap at a time: a second would be counted against the first.
    }
    group.setAttribute("aria-busy", "true");
    var data = new FormData(form);
    data.append("kind", button.value);
    fetch(button.formAction, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) {
            say(group, answer.error || form.getAttribute("data-failed"));
            return;
          }
          var error = group.querySelector(".reaction-error");
          if (error) {
            error.remove();
          }
          show(group, answer);
        });
      })
      .catch(function () {
        say(group, form.getAttribute("data-failed"));
      })
      .finally(function () {
        group.removeAttribute("aria-busy");
      });
  });
})();
