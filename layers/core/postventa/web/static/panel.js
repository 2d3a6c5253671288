// The panel works without this script; with it, a template's character count follows the typing
// (the server renders it with the sample order and counts as the channel does), and a list's
// "select all" box ticks every row.
(function () {
  "use strict";
  var form = document.getElementById("form-plantilla");
  if (form && window.fetch && window.FormData) {
    var timer = null;
    var update = function () {
      var data = new FormData(form);
      data.set("accion", "conteo");
      fetch(form.getAttribute("data-conteo"), {
        method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (doc) {
        if (!doc) { return; }
        Object.keys(doc.parts).forEach(function (name) {
          var out = document.getElementById("conteo-" + name);
          if (!out) { return; }
          out.textContent = doc.parts[name].text;
          out.classList.toggle("excede", doc.parts[name].over);
        });
        var problems = document.getElementById("conteo-problemas");
        if (problems) { problems.textContent = doc.problems.join(" "); }
      }).catch(function () {});
    };
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(update, 350);
    });
  }
  var all = document.getElementById("seleccionar-todos");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=cliente]").forEach(function (box) { box.checked = all.checked; });
    });
  }
})();
