/* masthead: headline suggestions under the header search box, as the WAI-ARIA 1.2
   combobox pattern (a list box, arrow keys, Enter, Escape, aria-activedescendant).
   Without JavaScript the box is a plain search form. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-suggest-url]");
  var input = form && form.querySelector("input[type=search]");
  if (!input || !window.fetch || !window.AbortController) return;

  var DELAY = 200;
  var MIN_LENGTH = 2;
  var live = document.querySelector("[data-live-region]");
  var listId = input.id + "-suggestions";
  var list = document.createElement("ul");
  list.id = listId;
  list.className = "search-suggest";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", form.dataset.suggestLabel || "");
  list.hidden = true;
  form.appendChild(list);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listId);

  var timer = null;
  var pending = null;
  var active = -1;
  var lastQuery = "";

  function options() {
    return list.querySelectorAll("[role=option]");
  }

  function announce(text) {
    if (!live) return;
    live.textContent = "";
    setTimeout(function () { live.textContent = text; }, 50);
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function setActive(index) {
    var items = options();
    if (!items.length) return;
    if (index < 0) index = items.length - 1;
    if (index >= items.length) index = 0;
    [].forEach.call(items, function (item, i) {
      item.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    active = index;
    input.setAttribute("aria-activedescendant", items[index].id);
    items[index].scrollIntoView({ block: "nearest" });
  }

  function show(suggestions) {
    list.textContent = "";
    suggestions.forEach(function (item, i) {
      var option = document.createElement("li");
      option.id = listId + "-" + i;
      option.className = "search-suggest__option";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.url = item.url;
      option.textContent = item.title;
      list.appendChild(option);
    });
    active = -1;
    input.removeAttribute("aria-activedescendant");
    if (suggestions.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      var many = form.dataset.suggestMany || "{count}";
      announce(suggestions.length === 1 ? form.dataset.suggestOne || "" : many.replace("{count}", suggestions.length));
    } else {
      close();
    }
  }

  function fetchSuggestions(query) {
    // Only the latest keystroke's answer matters: an older request still on its way is dropped.
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(form.dataset.suggestUrl + "?q=" + encodeURIComponent(query), {
      signal: pending.signal,
      headers: { Accept: "application/json" }
    })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) {
        if (input.value.trim() === query) show(data.suggestions || []);
      })
      .catch(function () { /* aborted or offline: the form still submits */ });
  }

  input.addEventListener("input", function () {
    var query = input.value.trim();
    clearTimeout(timer);
    if (query === lastQuery) return;
    lastQuery = query;
    if (query.length < MIN_LENGTH) {
      if (pending) pending.abort();
      show([]);
      return;
    }
    timer = setTimeout(function () { fetchSuggestions(query); }, DELAY);
  });

  input.addEventListener("keydown", function (e) {
    var open = !list.hidden;
    if (e.key === "ArrowDown" || e.key === "Down") {
      if (!options().length) return;
      e.preventDefault();
      if (!open) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
      setActive(open ? active + 1 : 0);
    } else if (e.key === "ArrowUp" || e.key === "Up") {
      if (!open) return;
      e.preventDefault();
      setActive(active - 1);
    } else if (e.key === "Enter") {
      if (open && active >= 0) {
        e.preventDefault();
        window.location.href = options()[active].dataset.url;
      }
      // Otherwise the form submits: a full search for what was typed.
    } else if (e.key === "Escape" || e.key === "Esc") {
      if (open) {
        e.preventDefault();
        close();
      } else if (input.value) {
        e.preventDefault();
        input.value = "";
        lastQuery = "";
      }
    }
  });

  list.addEventListener("mousedown", function (e) {
    // Keep focus in the box so the list is not closed before the click lands.
    e.preventDefault();
  });
  list.addEventListener("click", function (e) {
    var option = e.target.closest("[role=option]");
    if (option) window.location.href = option.dataset.url;
  });
  input.addEventListener("blur", close);
})();
