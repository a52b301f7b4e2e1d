// Upload a feed to /api/imports/ and follow the job until it ends. All text goes in through
// textContent: file names and rejected values come from users.
(function () {
  "use strict";
  const form = document.getElementById("import-form");
  if (!form) return;
  const texts = document.getElementById("import-texts").dataset;
  const status = document.getElementById("import-status");
  const bar = document.getElementById("import-progress");
  const state = document.getElementById("import-state");
  const rejections = document.querySelector("#import-rejections tbody");

  function show(job) {
    status.hidden = false;
    bar.value = job.progress;
    state.textContent = (texts[job.status] || job.status) + " · " +
      Math.round(job.progress * 100) + "%" + (job.error ? " · " + job.error : "");
    document.querySelectorAll("[data-count]").forEach(function (cell) {
      cell.textContent = job[cell.dataset.count];
    });
    rejections.replaceChildren();
    (job.rejections || []).forEach(function (r) {
      const row = document.createElement("tr");
      [r.row_number, r.column, r.reason, r.value].forEach(function (value) {
        const cell = document.createElement("td");
        cell.textContent = value;
        row.appendChild(cell);
      });
      rejections.appendChild(row);
    });
  }

  function follow(id) {
    fetch(form.dataset.detail + id + "/", { credentials: "same-origin" })
      .then(function (reply) { return reply.json(); })
      .then(function (job) {
        show(job);
        if (job.status === "queued" || job.status === "running") {
          setTimeout(function () { follow(id); }, 1000);
        }
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const data = new FormData(form);
    if (!data.get("source")) data.delete("source");
    fetch(form.dataset.api, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken") },
    })
      .then(function (reply) { return reply.json().then(function (body) { return [reply, body]; }); })
      .then(function ([reply, body]) {
        if (!reply.ok) {
          status.hidden = false;
          const fields = body.error && body.error.fields ? " " + JSON.stringify(body.error.fields) : "";
          state.textContent = texts.error + ": " + (body.error ? body.error.message : reply.status) + fields;
          return;
        }
        show(body);
        follow(body.id);
      });
  });
})();
