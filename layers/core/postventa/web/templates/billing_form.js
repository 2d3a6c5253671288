/* Narrows the régimen and uso lists as the buyer types the RFC and picks a régimen, with the
   lists the server itself allows (the form's data-opciones); the page works without it. */
(function () {
  "use strict";
  var form = document.getElementById("datos-fiscales");
  if (!form || !form.getAttribute("data-opciones")) return;
  var data = JSON.parse(form.getAttribute("data-opciones"));
  var rfc = document.getElementById("rfc");
  var regimen = document.getElementById("regimen_fiscal");
  var uso = document.getElementById("uso_cfdi");
  var confirmation = document.getElementById("rfc-confirmacion");
  // What the buyer chose last: kept while it fits, chosen again when it fits again.
  var wanted = { regimen: regimen.value, uso: uso.value };

  function normalized(value) {
    return value.normalize("NFC").replace(/[\s._\-\u00AD\u200B-\u200F\u2060\uFEFF]/g, "")
      .toUpperCase();
  }

  function kind(value) {
    return data.porRfc[value] || data.porLongitud[value.length] || "desconocido";
  }

  function fill(select, codes, want) {
    var same = select.options.length === codes.length + 1;
    for (var i = 0; same && i < codes.length; i++) {
      same = select.options[i + 1].value === codes[i];
    }
    if (!same) {
      while (select.options.length > 1) select.remove(1);
      codes.forEach(function (code) {
        select.add(new Option(data.etiquetas[code], code));
      });
    }
    select.value = codes.indexOf(want) >= 0 ? want : "";
    var names = document.getElementById(select.id + "-nombres");
    if (names) {
      names.querySelectorAll("[data-clave]").forEach(function (entry) {
        entry.hidden = codes.indexOf(entry.getAttribute("data-clave")) < 0;
      });
    }
  }

  function update() {
    var value = normalized(rfc.value);
    var tipo = data.tipos[kind(value)];
    fill(regimen, data.listas[tipo.regimenes], wanted.regimen);
    var usos = tipo.usos[regimen.value];
    fill(uso, data.listas[usos === undefined ? tipo.usos[""] : usos], wanted.uso);
    if (confirmation) {
      var box = confirmation.querySelector("input");
      confirmation.hidden = normalized(box.value) !== value;
    }
  }

  rfc.addEventListener("input", update);
  regimen.addEventListener("change", function () {
    wanted.regimen = regimen.value;
    update();
  });
  uso.addEventListener("change", function () {
    wanted.uso = uso.value;
  });
  update();
})();
