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
