// The dossier's steps save themselves: htmx posts the form as the user types (one request at a
// time, the latest state queued: hx-sync="this:queue last", so saves reach the server in order).
// While a save is under way the indicator says so and the form carries data-saving; a click on
// a submit button waits for it, and leaving the page asks for a confirmation.
(function () {
  "use strict";
  var pending = 0;
  var waitingSubmit = null;
  function status() { return document.getElementById("save-status"); }
  function isAutosave(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.matches && elt.matches("form[hx-post]") ? elt : null;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = isAutosave(event);
    if (!form) return;
    pending += 1;
    form.setAttribute("data-saving", "");
    var s = status();
    if (s) s.textContent = "Enregistrement en cours…";
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = isAutosave(event);
    if (!form) return;
    pending = Math.max(0, pending - 1);
    if (pending === 0) form.removeAttribute("data-saving");
    if (!event.detail.successful) {
      var s = status();
      if (s) s.textContent = "Enregistrement impossible pour l’instant : vérifiez votre connexion, puis cliquez sur « Enregistrer ».";
    }
    if (pending === 0 && waitingSubmit) {
      var w = waitingSubmit;
      waitingSubmit = null;
      w.form.requestSubmit(w.submitter);
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (pending > 0 && form.matches("form[hx-post]")) {
      event.preventDefault();
      waitingSubmit = { form: form, submitter: event.submitter || null };
    }
  }, true);
  window.addEventListener("beforeunload", function (event) {
    if (pending > 0 && !waitingSubmit) { event.preventDefault(); event.returnValue = ""; }
  });
})();
