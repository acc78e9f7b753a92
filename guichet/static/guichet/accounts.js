// Type-ahead for the collectivité of an account (ARIA combobox over the public search).
// Without JavaScript the form still works: the server searches the typed text and offers the
// matches as radio buttons.
(function () {
  "use strict";
  let timer = null;
  let lastQuery = null;

  function parts() {
    const input = document.getElementById("id_collectivity_q");
    const hidden = document.getElementById("id_collectivity");
    if (!input || !hidden) return null;
    return {
      input: input,
      hidden: hidden,
      box: document.getElementById("collectivity-suggestions"),
      wrapper: input.closest(".guichet-suggestions"),
    };
  }

  function options(p) {
    return Array.from(p.box.querySelectorAll('[role="option"]'));
  }

  function close(p) {
    p.box.innerHTML = "";
    p.input.setAttribute("aria-expanded", "false");
    p.input.removeAttribute("aria-activedescendant");
  }

  function choose(p, option) {
    p.hidden.value = option.dataset.value;
    p.input.value = option.dataset.name;
    lastQuery = p.input.value.trim();
    close(p);
  }

  function highlight(p, index) {
    const opts = options(p);
    opts.forEach((o, i) => o.setAttribute("aria-selected", i === index ? "true" : "false"));
    if (opts[index]) {
      p.input.setAttribute("aria-activedescendant", opts[index].id);
      opts[index].scrollIntoView({ block: "nearest" });
    }
  }

  function fetchSuggestions(p) {
    const q = p.input.value.trim();
    if (q === lastQuery) return;
    lastQuery = q;
    if (q.length < 2) { close(p); return; }
    const url = p.wrapper.dataset.suggestUrl + "?vintage=" + encodeURIComponent(p.wrapper.dataset.vintage)
      + "&q=" + encodeURIComponent(q);
    fetch(url, { headers: { "HX-Request": "true" } })
      .then((r) => r.text())
      .then((html) => {
        if (p.input.value.trim() !== q) return;
        p.box.innerHTML = html;
        p.input.setAttribute("aria-expanded", options(p).length ? "true" : "false");
      })
      .catch(() => close(p));
  }

  document.addEventListener("input", function (event) {
    const p = parts();
    if (!p || event.target !== p.input) return;
    p.hidden.value = "";
    clearTimeout(timer);
    timer = setTimeout(() => fetchSuggestions(p), 150);
  });

  document.addEventListener("keydown", function (event) {
    const p = parts();
    if (!p || event.target !== p.input) return;
    const opts = options(p);
    if (!opts.length) return;
    const current = opts.findIndex((o) => o.getAttribute("aria-selected") === "true");
    if (event.key === "ArrowDown") { event.preventDefault(); highlight(p, Math.min(current + 1, opts.length - 1)); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight(p, Math.max(current - 1, 0)); }
    else if (event.key === "Enter" && current >= 0) { event.preventDefault(); choose(p, opts[current]); }
    else if (event.key === "Escape") { close(p); }
  });

  document.addEventListener("click", function (event) {
    const p = parts();
    if (!p) return;
    const option = event.target.closest('[role="option"]');
    if (option && p.box.contains(option)) { choose(p, option); return; }
    if (!p.wrapper.contains(event.target)) close(p);
  });
})();
