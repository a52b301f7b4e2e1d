// The week page: pick a free slot, choose how long, see the fee and the voucher, book through
// /api/bookings/. Text from the server or the user goes in through textContent only.
(function () {
  "use strict";
  const form = document.getElementById("booking-form");
  if (!form) return;
  const cfg = form.dataset;
  const texts = document.getElementById("booking-texts").dataset;
  const section = document.getElementById("booking-section");
  const startInput = document.getElementById("id_start");
  const endSelect = document.getElementById("id_end");
  const voucherSelect = document.getElementById("id_voucher");
  const feeText = document.getElementById("booking-fee-text");
  const result = document.getElementById("booking-result");
  const message = document.getElementById("booking-message");
  const waitlistButton = document.getElementById("waitlist-join");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const MINUTE = 60000;
  // Asia/Shanghai has kept +08:00 all year since 1991, so a fixed offset is exact and does
  // not depend on the zone of the reader's own computer.
  const SHANGHAI = 8 * 60 * MINUTE;

  let chosen = null; // {start: ms, freeEnd: ms, button}
  let quote = null;

  function shifted(ms) { return new Date(ms + SHANGHAI).toISOString(); }
  function iso(ms) { return shifted(ms).slice(0, 19) + "+08:00"; }
  function wall(ms) { const s = shifted(ms); return s.slice(0, 10) + " " + s.slice(11, 16); }
  function cents(text) { return Math.round(parseFloat(text) * 100); }
  function yuan(c) { return (c / 100).toFixed(2) + " " + texts.yuan; }

  function fee(name, text) { form.querySelector("[data-fee=" + name + "]").textContent = text; }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    }).then(function (reply) {
      return reply.json().catch(function () { return {}; }).then(function (data) {
        return { status: reply.status, ok: reply.ok, body: data };
      });
    });
  }

  function errorText(body, status) {
    if (!body.error) return texts.failed + " (" + status + ")";
    let text = body.error.message;
    const fields = body.error.fields || {};
    Object.keys(fields).forEach(function (name) {
      text += " " + [].concat(fields[name]).join(" ");
    });
    return text;
  }

  function show(text, kind) {
    result.hidden = false;
    result.className = "notice " + kind;
    message.replaceChildren(document.createTextNode(text));
  }

  function fillEnds() {
    const slot = Number(cfg.slot) * MINUTE;
    const shortest = Math.max(Number(cfg.min) * MINUTE, slot);
    const last = Math.min(chosen.freeEnd, chosen.start + Number(cfg.max) * MINUTE);
    endSelect.replaceChildren();
    for (let end = chosen.start + shortest; end <= last; end += slot) {
      const minutes = (end - chosen.start) / MINUTE;
      const sameDay = wall(end).slice(0, 10) === wall(chosen.start).slice(0, 10);
      const label = (sameDay ? wall(end).slice(11) : wall(end)) + " · " + minutes + " " + texts.minutes;
      endSelect.appendChild(new Option(label, iso(end)));
    }
  }

  function showPayable() {
    if (!quote) return;
    const amount = cents(quote.amount);
    const picked = quote.vouchers.find(function (v) { return String(v.id) === voucherSelect.value; });
    const covers = picked ? cents(picked.covers) : 0;
    fee("covers", picked ? yuan(covers) : "—");
    fee("payable", quote.priced ? yuan(amount - covers) : texts.unpriced);
  }

  function highlight() {
    const end = chosen ? Date.parse(endSelect.value) : 0;
    document.querySelectorAll("button.slot-pick").forEach(function (button) {
      const at = Date.parse(button.dataset.start);
      button.classList.toggle("chosen", !!chosen && at >= chosen.start && at < end);
    });
  }

  function loadQuote() {
    highlight();
    const url = cfg.quote + "?start=" + encodeURIComponent(iso(chosen.start)) +
      "&end=" + encodeURIComponent(endSelect.value);
    const keep = voucherSelect.value;
    fetch(url, { credentials: "same-origin" })
      .then(function (reply) { return reply.json(); })
      .then(function (data) {
        if (data.error) { show(data.error.message, "error"); return; }
        quote = data;
        // Internal use of a branch campus's instrument is still cross-region: say so.
        const cross = data.cross_region && data.rate_category !== "other_region";
        fee("category", data.rate_category_label + (cross ? " · " + texts.cross : ""));
        fee("rate", data.priced ? data.hourly_rate + " " + texts.perHour : texts.unpriced);
        fee("amount", data.priced ? yuan(cents(data.amount)) : texts.unpriced);
        feeText.hidden = data.priced || !data.fee_text;
        feeText.textContent = data.fee_text || "";
        voucherSelect.replaceChildren(new Option(texts.noVoucher, ""));
        data.vouchers.forEach(function (v) {
          const label = v.code + " · " + texts.balance + " " + v.balance + " " + texts.yuan;
          voucherSelect.appendChild(new Option(label, String(v.id)));
        });
        if (data.vouchers.some(function (v) { return String(v.id) === keep; })) voucherSelect.value = keep;
        showPayable();
      });
  }

  function choose(button) {
    chosen = {
      start: Date.parse(button.dataset.start),
      freeEnd: Date.parse(button.dataset.freeEnd),
      button: button,
    };
    startInput.value = wall(chosen.start);
    fillEnds();
    section.hidden = false;
    form.hidden = false;
    result.hidden = true;
    waitlistButton.hidden = true;
    loadQuote();
    document.getElementById("id_purpose").focus();
  }

  document.querySelectorAll("button.slot-pick").forEach(function (button) {
    button.addEventListener("click", function () { choose(button); });
  });
  endSelect.addEventListener("change", loadQuote);
  voucherSelect.addEventListener("change", showPayable);
  document.getElementById("booking-close").addEventListener("click", function () {
    chosen = null;
    highlight();
    section.hidden = true;
  });

  // The cells a new booking covers read "taken" at once; the server is the judge on reload.
  function markTaken(startMs, endMs) {
    document.querySelectorAll("button.slot-pick").forEach(function (button) {
      const at = Date.parse(button.dataset.start);
      if (at >= startMs && at < endMs) {
        const cell = button.parentElement;
        cell.className = "slot taken";
        cell.replaceChildren(document.createTextNode(texts.takenCell));
      }
    });
  }

  let lastTry = null;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!chosen) return;
    const payload = {
      instrument: Number(cfg.instrument),
      start: iso(chosen.start),
      end: endSelect.value,
      purpose: form.elements.purpose.value,
      sample_notes: form.elements.sample_notes.value,
      service_mode: form.elements.service_mode.value,
      project_name: form.elements.project_name.value,
    };
    if (voucherSelect.value) payload.voucher = Number(voucherSelect.value);
    if (form.elements.project && form.elements.project.value) {
      payload.project = Number(form.elements.project.value);
    }
    lastTry = payload;
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    post(cfg.api, payload).then(function (reply) {
      submit.disabled = false;
      waitlistButton.hidden = true;
      if (reply.ok) {
        const done = reply.body.status === "approved" ? texts.approved : texts.requested;
        show(done + " #" + reply.body.id + " · " + reply.body.status_label, "success");
        const link = document.createElement("a");
        link.href = cfg.mine;
        link.textContent = texts.seeMine;
        message.append(" ", link);
        form.hidden = true;
        markTaken(chosen.start, Date.parse(payload.end));
        return;
      }
      if (reply.status === 409) {
        show(reply.body.error ? errorText(reply.body, reply.status) : texts.taken, "error");
        waitlistButton.hidden = false;
        return;
      }
      show(errorText(reply.body, reply.status), "error");
    });
  });

  waitlistButton.addEventListener("click", function () {
    if (!lastTry) return;
    post(cfg.waitlist, { instrument: lastTry.instrument, start: lastTry.start, end: lastTry.end })
      .then(function (reply) {
        waitlistButton.hidden = true;
        show(reply.ok ? texts.waitlisted : errorText(reply.body, reply.status), reply.ok ? "success" : "error");
      });
  });
})();
