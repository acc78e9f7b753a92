// Type-ahead over the public search of collectivités (an ARIA combobox), for every field marked
// up as: <div class="guichet-suggestions" data-suggest-url data-vintage data-hidden="<id of the
// hidden input that receives kind:code>" data-box="<id of the suggestions container>"
// [data-departement: the call's département, ranked first]> with an
// <input role="combobox"> inside. Without JavaScript each form still works: the server searches
// the typed text and offers the matches.
(function () {
  "use strict";
  const timers = new WeakMap();
  const lastQueries = new WeakMap();

  function parts(target) {
    if (!(target instanceof Element)) return null;
    const wrapper = target.closest(".guichet-suggestions[data-box]");
    if (!wrapper) return null;
    const input = wrapper.querySelector('input[role="combobox"]');
    const hidden = document.getElementById(wrapper.dataset.hidden);
    const box = document.getElementById(wrapper.dataset.box);
    if (!input || !hidden || !box) return null;
    return { wrapper: wrapper, input: input, hidden: hidden, box: box };
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
    lastQueries.set(p.input, p.input.value.trim());
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
    if (q === lastQueries.get(p.input)) return;
    lastQueries.set(p.input, q);
    if (q.length < 2) { close(p); return; }
    const url = p.wrapper.dataset.suggestUrl + "?vintage=" + encodeURIComponent(p.wrapper.dataset.vintage)
      + (p.wrapper.dataset.departement ? "&departement=" + encodeURIComponent(p.wrapper.dataset.departement) : "")
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
    const p = parts(event.target);
    if (!p || event.target !== p.input) return;
    p.hidden.value = "";
    clearTimeout(timers.get(p.input));
    timers.set(p.input, setTimeout(() => fetchSuggestions(p), 150));
  });

  document.addEventListener("keydown", function (event) {
    const p = parts(event.target);
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
    const option = event.target instanceof Element && event.target.closest('[role="option"]');
    if (option) {
      const p = parts(option);
      if (p && p.box.contains(option)) { choose(p, option); return; }
    }
    document.querySelectorAll(".guichet-suggestions[data-box]").forEach(function (wrapper) {
      const p = parts(wrapper);
      if (p && !wrapper.contains(event.target)) close(p);
    });
  });
})();
