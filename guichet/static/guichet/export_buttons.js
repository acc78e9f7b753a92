/* « Exporter » buttons of the reviewers' list: the form sends the list's current query string,
   the address bar's after htmx changed the filters (the URL is pushed). */
(function () {
  var form = document.getElementById("export-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var query = window.location.search.replace(/^\?/, "");
    if (query) { form.elements.retour.value = query; }
  });
})();
