// My bookings (cancel, calendar address) and the manager's queue (approve, reject): each
// button calls the JSON API and shows the answer in place. Text goes in through textContent.
(function () {
  "use strict";
  const csrfInput = document.querySelector("#bookings-csrf [name=csrfmiddlewaretoken]");
  if (!csrfInput) return;
  const csrf = csrfInput.value;
  const texts = document.getElementById("bookings-texts").dataset;
  const message = document.getElementById("bookings-message");

  function call(method, url, body) {
    const options = {
      method: method,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (reply) {
      return reply.text().then(function (raw) {
        let data = {};
        try { data = raw ? JSON.parse(raw) : {}; } catch (e) { data = {}; }
        return { ok: reply.ok, status: reply.status, body: data };
      });
    });
  }

  function say(text, kind) {
    message.hidden = false;
    message.className = "notice " + (kind || "");
    message.textContent = text;
  }

  function failure(reply) {
    const error = reply.body.error;
    return texts.failed + ": " + (error ? error.message : reply.status);
  }

  // A decided row keeps its place, shows its new status and loses its buttons.
  function settle(row, statusText, statusClass) {
    const status = row.querySelector("[data-status]");
    status.textContent = statusText;
    if (statusClass) status.className = "booking-status status-" + statusClass;
    row.querySelectorAll("button, .decide-controls").forEach(function (el) { el.remove(); });
  }

  // --- My bookings: cancel ---
  document.querySelectorAll("button.booking-cancel").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!window.confirm(texts.confirm)) return;
      button.disabled = true;
      call("POST", button.dataset.url, { reason: "" }).then(function (reply) {
        const row = button.closest("tr");
        if (reply.ok) {
          settle(row, reply.body.status_label || texts.cancelled, reply.body.status);
        } else {
          button.disabled = false;
          say(failure(reply), "error");
        }
      });
    });
  });

  // --- The queue: approve, reject with a reason ---
  document.querySelectorAll("button.booking-approve, button.booking-reject").forEach(function (button) {
    button.addEventListener("click", function () {
      const row = button.closest("tr");
      const approving = button.classList.contains("booking-approve");
      const reason = approving ? "" : row.querySelector(".reject-reason").value.trim();
      if (!approving && !reason) {
        say(texts.needReason, "error");
        row.querySelector(".reject-reason").focus();
        return;
      }
      row.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      call("POST", button.dataset.url, { reason: reason }).then(function (reply) {
        if (reply.ok) {
          settle(row, reply.body.status_label || (approving ? texts.approved : texts.rejected), reply.body.status);
          message.hidden = true;
        } else {
          row.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
          say(failure(reply), "error");
        }
      });
    });
  });

  // --- My calendar address ---
  const box = document.getElementById("calendar-token");
  if (!box) return;
  const calTexts = document.getElementById("calendar-texts").dataset;
  const urlInput = document.getElementById("calendar-url");
  const copy = document.getElementById("calendar-copy");
  const rotate = document.getElementById("calendar-rotate");
  const revoke = document.getElementById("calendar-revoke");
  const status = document.getElementById("calendar-status");

  function showAddress(url) {
    urlInput.value = url;
    copy.hidden = !url;
    revoke.hidden = !url;
    rotate.textContent = url ? calTexts.rotate : calTexts.create;
  }

  rotate.addEventListener("click", function () {
    call("POST", box.dataset.api).then(function (reply) {
      if (!reply.ok) { status.textContent = failure(reply); return; }
      showAddress(reply.body.url);
      status.textContent = calTexts.created;
    });
  });
  revoke.addEventListener("click", function () {
    call("DELETE", box.dataset.api).then(function (reply) {
      if (!reply.ok) { status.textContent = failure(reply); return; }
      showAddress("");
      status.textContent = calTexts.revoked;
    });
  });
  copy.addEventListener("click", function () {
    urlInput.select();
    // The clipboard API needs a secure context; plain-HTTP intranets fall back to execCommand.
    const done = function () { status.textContent = calTexts.copied; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(urlInput.value).then(done, function () {
        document.execCommand("copy");
        done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
