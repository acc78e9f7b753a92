// The dossier's steps save themselves: htmx posts the form as the user types (one request at a
// time, the latest state queued: hx-sync="this:queue last", so saves reach the server in order).
// While a save is under way the indicator says so and the form carries data-saving; a click on
// a submit button (« Enregistrer », « Ajouter une ligne de dépense »…) waits for it and for the
// save queued behind it, then the form is sent once with everything typed, and no autosave may
// start after it (an older save reaching the server after the click would undo what it sent).
// Leaving the page during a save asks for a confirmation.
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
    if (form.hasAttribute("data-submitting")) { event.preventDefault(); return; }
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
    // The save queued behind this one (hx-sync "queue last") starts right after this event:
    // look again once it had its chance.
    setTimeout(function () {
      if (pending === 0 && waitingSubmit) {
        var w = waitingSubmit;
        waitingSubmit = null;
        w.form.requestSubmit(w.submitter);
      }
    }, 0);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[hx-post]")) return;
    if (pending > 0) {
      event.preventDefault();
      waitingSubmit = { form: form, submitter: event.submitter || null };
      return;
    }
    form.setAttribute("data-submitting", "");
  }, true);
  // Back to a page kept by the browser (back button): its form saves itself again.
  window.addEventListener("pageshow", function () {
    var forms = document.querySelectorAll("form[data-submitting]");
    for (var i = 0; i < forms.length; i++) forms[i].removeAttribute("data-submitting");
  });
  window.addEventListener("beforeunload", function (event) {
    if (pending > 0 && !waitingSubmit) { event.preventDefault(); event.returnValue = ""; }
  });
})();
