/* petition.js: a live signature counter, and form errors shown before sending.
 *
 * Loaded on the petition page and its embeds only. Everything here is extra:
 * without it the pages work the same, and the server checks every form.
 * Texts come from the page (data-* attributes, already translated by the
 * server); numbers are formatted by Intl in the page's language, as Babel
 * formats them on the server. No framework, no build step.
 */
(function () {
  "use strict";

  var lang = document.documentElement.lang || undefined;
  var numbers = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var plurals = new Intl.PluralRules(lang);

  function readJson(element, name) {
    try {
      return JSON.parse(element.getAttribute(name) || "null");
    } catch (error) {
      return null;
    }
  }

  /* "{count} of {goal}" with numbers written as the reader writes them. */
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (hole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? numbers.format(values[name]) : hole;
    });
  }

  /* --- Live counter ---------------------------------------------------- */

  function liveCounter(section) {
    var url = section.getAttribute("data-counter-url");
    var texts = readJson(section, "data-counter-texts");
    if (!url || !texts || !window.fetch) return;
    var every = Math.max(Number(section.getAttribute("data-poll-seconds")) || 10, 1) * 1000;
    // Screen readers hear a change at most once per six polls (a minute at the usual ten seconds).
    var announceEvery = every * 6;
    var announced = Number(section.getAttribute("data-count"));
    var announcedAt = Date.now();
    var delay = every;
    var timer = null;

    var parts = {
      count: section.querySelector(".count"),
      progress: section.querySelector("progress"),
      signatures: section.querySelector("[data-counter-part=signatures]"),
      nextGoal: section.querySelector("[data-counter-part=next-goal]"),
      paper: section.querySelector("[data-counter-part=paper]")
    };
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    section.appendChild(live);

    function signaturesText(count) {
      var forms = texts.signatures || {};
      var template = forms[plurals.select(count)] || forms.other || forms.many || "";
      return fill(template, { num: count });
    }

    function show(data) {
      var count = data.signature_count;
      var goal = data.next_goal;
      if (typeof count !== "number" || typeof goal !== "number") return;
      var countText = fill(texts.of, { count: count, goal: goal });
      if (parts.count) parts.count.textContent = countText;
      if (parts.progress) {
        parts.progress.max = goal;
        parts.progress.value = Math.min(count, goal);
        parts.progress.textContent = countText;
      }
      if (parts.signatures) parts.signatures.textContent = signaturesText(count);
      if (parts.nextGoal) parts.nextGoal.textContent = fill(texts.next_goal, { goal: goal });
      if (parts.paper && typeof data.online_count === "number") {
        parts.paper.textContent = fill(texts.paper, { online: data.online_count, paper: data.paper_count });
      }
      section.setAttribute("data-count", String(count));
      if (count !== announced && Date.now() - announcedAt >= announceEvery) {
        live.textContent = signaturesText(count);
        announced = count;
        announcedAt = Date.now();
      }
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(poll, delay);
    }

    function poll() {
      timer = null;
      if (document.visibilityState !== "visible") return; // resumed by visibilitychange
      fetch(url, { credentials: "omit", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          delay = every;
          show(data);
        })
        .catch(function () {
          // Offline, or over the rate limit: ask less often; the figures on the page stay as they were.
          delay = Math.min(delay * 2, 300000);
        })
        .then(schedule);
    }

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && timer === null) poll();
    });
    schedule();
  }

  /* --- Form errors before sending -------------------------------------- */

  var PLAUSIBLE_EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

  function problemWith(control, rules) {
    var value = (control.value || "").trim();
    if (rules.required && value === "") return rules.required;
    if (rules.email && value !== "" && !PLAUSIBLE_EMAIL.test(value)) return rules.email;
    return null;
  }

  /* Undo what the server or an earlier attempt marked, so only current problems show. */
  function clearErrors(form) {
    var before = form.previousElementSibling;
    if (before && before.id === "error-summary") before.parentNode.removeChild(before);
    Array.prototype.forEach.call(form.querySelectorAll(".field.has-error"), function (box) {
      box.classList.remove("has-error");
    });
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (p) {
      p.parentNode.removeChild(p);
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (control) {
      control.removeAttribute("aria-invalid");
      if (control.getAttribute("aria-describedby") === control.id + "-error") {
        control.removeAttribute("aria-describedby");
      }
    });
  }

  /* The same markup as the errors_summary and field macros in templates/_form.html. */
  function showErrors(form, heading, problems) {
    var summary = document.createElement("div");
    summary.className = "error-summary";
    summary.id = "error-summary";
    summary.setAttribute("role", "alert");
    summary.tabIndex = -1;
    var title = document.createElement("h2");
    title.textContent = heading;
    summary.appendChild(title);
    var list = document.createElement("ul");
    problems.forEach(function (problem) {
      var control = problem.control;
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + control.id;
      link.textContent = problem.message;
      item.appendChild(link);
      list.appendChild(item);

      var box = control.closest(".field");
      var note = document.createElement("p");
      note.className = "field-error";
      note.id = control.id + "-error";
      note.textContent = problem.message;
      if (box) {
        box.classList.add("has-error");
        box.insertBefore(note, control);
      }
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", note.id);
    });
    summary.appendChild(list);
    form.parentNode.insertBefore(summary, form);
    summary.focus();
  }

  function checkBeforeSending(form) {
    var messages = readJson(form, "data-messages");
    if (!messages || !messages.fields) return;
    form.addEventListener("submit", function (event) {
      var problems = [];
      Array.prototype.forEach.call(form.elements, function (control) {
        var rules = messages.fields[control.name];
        if (!rules || !control.id) return;
        var message = problemWith(control, rules);
        if (message) problems.push({ control: control, message: message });
      });
      clearErrors(form);
      if (problems.length) {
        event.preventDefault();
        showErrors(form, messages.summary, problems);
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("section[data-counter-url]"), liveCounter);
  Array.prototype.forEach.call(document.querySelectorAll("form[data-messages]"), checkBeforeSending);
})();
