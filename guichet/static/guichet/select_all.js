/* « Tout sélectionner »: shown only with JavaScript (DSFR marks the root with data-fr-js). */
document.addEventListener("change", function (event) {
  if (!event.target.matches("[data-select-all]")) { return; }
  document.querySelectorAll("#bulk-form input[name=dossiers]").forEach(function (box) {
    box.checked = event.target.checked;
  });
});
