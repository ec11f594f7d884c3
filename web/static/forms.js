// Forms: focus the error summary (or the confirmation) a refused submit brings back; count the characters
// of limited fields as they are typed; show a required_if field's marker as soon as its condition holds.
(function () {
  "use strict";
  var first = document.getElementById("error-summary") || document.getElementById("confirm-panel");
  if (first) { first.focus(); }

  document.querySelectorAll("p.counter[data-for]").forEach(function (counter) {
    var input = document.getElementById(counter.dataset.for);
    if (!input) { return; }
    var max = input.getAttribute("maxlength");
    var template = counter.textContent.replace(/\d+/, "{n}");
    var update = function () {
      var n = input.value.length;
      counter.textContent = template.replace("{n}", String(n));
      counter.classList.toggle("near", max && n > 0.9 * Number(max));
    };
    input.addEventListener("input", update);
    update();
  });

  var current = function (form, name) {
    var chosen = form.querySelector("[name='" + name + "']:checked") || form.querySelector("select[name='" + name + "']");
    return chosen ? chosen.value : "";
  };
  document.querySelectorAll("[data-required-if]").forEach(function (marker) {
    var form = marker.closest("form");
    var rule = marker.dataset.requiredIf.split("=");
    var wanted = (rule[1] || "").split("|");
    var update = function () { marker.hidden = wanted.indexOf(current(form, rule[0])) < 0; };
    if (form) { form.addEventListener("change", update); update(); }
  });
}());

// Drafts: a form with data-draft keeps what is typed in this browser's storage until it is submitted,
// and offers it back when the page opens again (not after a refused submit, which brings the values back itself).
(function () {
  "use strict";
  var store;
  try { store = window.localStorage; } catch (e) { return; }
  if (!store) { return; }
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = "draft:" + form.dataset.draft;
    var note = form.querySelector(".draft-note");
    var fields = function () {
      return Array.prototype.filter.call(form.elements, function (el) {
        return el.name && el.name !== "csrf_token" && el.type !== "hidden" && el.type !== "submit";
      });
    };
    var save = function () {
      var data = {};
      fields().forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.checked) { (data[el.name] = data[el.name] || []).push(el.value); }
        } else { data[el.name] = [el.value]; }
      });
      store.setItem(key, JSON.stringify(data));
    };
    var restore = function (data) {
      fields().forEach(function (el) {
        var values = data[el.name] || [];
        if (el.type === "checkbox" || el.type === "radio") { el.checked = values.indexOf(el.value) >= 0; }
        else if (values.length) { el.value = values[0]; }
        el.dispatchEvent(new Event("input", {bubbles: true}));
      });
      form.dispatchEvent(new Event("change"));
    };
    var saved = store.getItem(key);
    if (saved && !document.getElementById("error-summary") && !document.getElementById("confirm-panel")) {
      try { restore(JSON.parse(saved)); } catch (e) { store.removeItem(key); }
      if (note) { note.hidden = false; }
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function () { store.removeItem(key); });
    var discard = note && note.querySelector("[data-discard]");
    if (discard) {
      discard.addEventListener("click", function () { store.removeItem(key); window.location.reload(); });
    }
  });
  document.querySelectorAll("form[action$='/logout']").forEach(function (form) {
    form.addEventListener("submit", function () {
      Object.keys(store).filter(function (k) { return k.indexOf("draft:") === 0; })
        .forEach(function (k) { store.removeItem(k); });
    });
  });
}());
