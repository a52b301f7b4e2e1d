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
  const rejectionsCsv = document.getElementById("import-rejections-csv");

  function show(job) {
    status.hidden = false;
    bar.value = job.progress;
    // Every byte read but still running: the closing steps (indexes, statistics) are under way.
    const finishing = job.status === "running" && job.progress >= 1;
    state.textContent = (texts[job.status] || job.status) + " · " +
      Math.round(job.progress * 100) + "%" + (finishing ? " · " + texts.finishing : "") +
      (job.error ? " · " + job.error : "");
    document.querySelectorAll("[data-count]").forEach(function (cell) {
      cell.textContent = job[cell.dataset.count];
    });
    // The rejected rows as uploaded, with their reasons, to fix and upload again.
    rejectionsCsv.hidden = !job.rejected;
    rejectionsCsv.querySelector("a").href = form.dataset.detail + job.id + "/rejections.csv";
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
      .then(function (reply) { return reply.json().then(function (body) { return [reply, body]; }); })
      .then(function ([reply, job]) {
        if (!reply.ok) {
          refused(job.error, reply.status);
          return;
        }
        show(job);
        if (job.status === "queued" || job.status === "running") {
          setTimeout(function () { follow(id); }, 1000);
        }
      })
      // A lost reply while following is no verdict on the job: ask again a little later.
      .catch(function () { setTimeout(function () { follow(id); }, 5000); });
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
          refused(body.error, reply.status);
          return;
        }
        show(body);
        follow(body.id);
      })
      .catch(function () { refused(null, 0); });
  });

  // The message once, then each field's reasons in words ("文件：…"), leaving out a reason the
  // message already says (a whole-file refusal repeats it under "file").
  function refused(error, code) {
    status.hidden = false;
    const message = error && error.message ? error.message : texts.retry + (code ? " (" + code + ")" : "");
    const lines = [texts.error + ": " + message];
    const fields = (error && error.fields) || {};
    Object.keys(fields).forEach(function (name) {
      const reasons = [].concat(fields[name]).map(String).filter(function (reason) {
        return message.indexOf(reason) === -1;
      });
      if (reasons.length) lines.push((texts["field_" + name] || name) + "：" + reasons.join("；"));
    });
    state.replaceChildren();
    lines.forEach(function (line, index) {
      if (index) state.appendChild(document.createElement("br"));
      state.appendChild(document.createTextNode(line));
    });
  }
})();
