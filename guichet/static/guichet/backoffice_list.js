/* The reviewers' list. « Tout sélectionner » (shown only with JavaScript: DSFR marks the root with
   data-fr-js, see backoffice_list.css) ticks every dossier listed; it is drawn again with the
   results after each htmx swap, so the listener is on the document. */
document.addEventListener("change", function (event) {
  if (!event.target.matches("[data-select-all]")) { return; }
  document.querySelectorAll("#bulk-form input[name=dossiers]").forEach(function (box) {
    box.checked = event.target.checked;
  });
});
