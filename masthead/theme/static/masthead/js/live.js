/* masthead: keeps a live page current. It asks the page's updates.json what changed
   after the last change it applied, offers new updates behind a button (so nothing
   moves under the reader's eyes), and applies edits, pins and deletions in place.
   The page is whole without it; key-event links then open the update's permalink. */
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var jump = e.target.closest("a[data-live-jump]");
    var target = jump && document.getElementById(jump.dataset.liveJump);
    if (!target || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    history.replaceState(null, "", "#" + target.id);
    target.focus();
  });

  var stream = document.querySelector("[data-live-stream][data-poll-url]");
  if (!stream || !window.fetch) return;
  var list = stream.querySelector("[data-live-updates]");
  var button = stream.querySelector("[data-live-reveal]");
  var pinnedBox = document.querySelector("[data-live-pinned]");
  var pinned = pinnedBox && pinnedBox.querySelector("[data-live-pinned-list]");
  var region = document.querySelector("[data-live-region]");
  var earlier = stream.hasAttribute("data-live-earlier");
  var cursor = stream.dataset.cursor || "0";
  var interval = (parseInt(stream.dataset.pollInterval, 10) || 10) * 1000;
  var delay = interval, timer = null, busy = false, stopped = false, reset = false, buffer = [], etag = null;

  function announce(text) {
    if (!region || !text) return;
    // Screen readers skip a repeated identical message unless it changes.
    region.textContent = "";
    setTimeout(function () { region.textContent = text; }, 50);
  }

  function build(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content.firstElementChild;
  }

  function find(box, id) { return box && box.querySelector(':scope > [data-update-id="' + id + '"]'); }

  // Newest first by (time, id), as the server orders them.
  function newer(a, b) {
    var ta = Date.parse(a.querySelector("time").getAttribute("datetime"));
    var tb = Date.parse(b.querySelector("time").getAttribute("datetime"));
    return ta !== tb ? tb - ta : b.dataset.updateId - a.dataset.updateId;
  }

  function setPinned(node) {
    var id = node.dataset.updateId, old = find(pinned, id);
    if (!pinned) return;
    if (node.classList.contains("live-update--pinned")) {
      // The box's copy gets prefixed ids: the stream's copy keeps the real ones.
      var copy = node.cloneNode(true);
      [copy].concat([].slice.call(copy.querySelectorAll("[id]"))).forEach(function (el) { el.id = "pinned-" + el.id; });
      [].forEach.call(copy.querySelectorAll("[aria-labelledby]"), function (el) {
        el.setAttribute("aria-labelledby", "pinned-" + el.getAttribute("aria-labelledby"));
      });
      if (old) pinned.replaceChild(copy, old);
      else pinned.insertBefore(copy, [].filter.call(pinned.children, function (li) { return newer(copy, li) < 0; })[0] || null);
    } else if (old) pinned.removeChild(old);
    pinnedBox.hidden = !pinned.children.length;
  }

  function remove(id) {
    buffer = buffer.filter(function (node) { return node.dataset.updateId !== String(id); });
    [find(list, id), find(pinned, id)].forEach(function (node) { if (node) node.parentNode.removeChild(node); });
    [].forEach.call(document.querySelectorAll('[data-live-jump="update-' + id + '"]'), function (link) {
      link.closest("li").remove();
    });
    if (pinnedBox && pinned) pinnedBox.hidden = !pinned.children.length;
  }

  function refreshButton() {
    var count = buffer.length, data = button.dataset, wasHidden = button.hidden;
    if (!count && !reset) { button.hidden = true; return; }
    button.textContent = reset ? data.labelReset : count === 1 ? data.labelOne : data.labelMany.replace("{count}", count);
    button.hidden = false;
    if (wasHidden) announce(reset ? data.labelReset : count === 1 ? data.announceOne : data.announceMany.replace("{count}", count));
  }

  function apply(data) {
    cursor = String(data.cursor);
    if (data.reset) { reset = true; buffer = []; return refreshButton(); }
    (data.removed || []).forEach(remove);
    (data.updates || []).forEach(function (update) {
      var node = build(update.html), id = String(update.id), shown = find(list, id);
      var waiting = buffer.some(function (n) { return n.dataset.updateId === id; });
      if (shown) list.replaceChild(node, shown);
      else if (update.new || waiting) {
        buffer = buffer.filter(function (n) { return n.dataset.updateId !== id; }).concat([node]).sort(newer);
        if (find(pinned, id)) setPinned(node);
        return;
      }
      setPinned(node);
    });
    refreshButton();
  }

  button.addEventListener("click", function () {
    // A permalink or an older batch is not the top of the stream: go there instead.
    if (reset || earlier) { window.location.assign(window.location.pathname); return; }
    var first = buffer[0], empty = stream.querySelector("[data-live-empty]"), last = document.querySelector("[data-live-last-updated]");
    buffer.slice().reverse().forEach(function (node) {
      list.insertBefore(node, list.firstChild);
      if (node.classList.contains("live-update--pinned")) setPinned(node);
    });
    buffer = [];
    refreshButton();
    if (empty) empty.remove();
    if (first && last) last.textContent = first.querySelector("time").textContent.trim();
    if (first) first.focus();
  });

  function end() {
    stopped = true;
    stream.dataset.status = "ended";
    var notice = stream.querySelector("[data-live-ended]"), badge = document.querySelector("[data-live-badge]");
    if (notice) notice.hidden = false;
    if (badge) { badge.classList.add("live-page-badge--ended"); badge.textContent = button.dataset.labelEnded; }
    announce(button.dataset.announceEnded);
  }

  function schedule(ms) {
    clearTimeout(timer);
    if (!stopped && !document.hidden) timer = setTimeout(poll, ms);
  }

  function poll() {
    if (busy || stopped || document.hidden) return;
    busy = true;
    var started = Date.now();
    // The last answer's ETag names the state this page has reached, whatever the cursor:
    // the server answers 304 while nothing has changed since. A request carrying its own
    // If-None-Match bypasses the browser's cache (the fetch standard), so the 304 arrives
    // here as it is; the first poll sends none and may be answered from that cache.
    fetch(stream.dataset.pollUrl + "?since=" + encodeURIComponent(cursor), etag ? { headers: { "If-None-Match": etag } } : {})
      .then(function (r) {
        if (r.status === 304) return null;
        if (!r.ok) throw new Error(r.status);
        return r.json().then(function (data) { return { data: data, etag: r.headers.get("ETag") }; });
      })
      .then(function (answer) {
        busy = false;
        if (answer) {
          apply(answer.data);
          // Kept only once the answer is applied: the ETag vouches for its cursor.
          etag = answer.etag;
          if (answer.data.status === "ended") return end();
          interval = (answer.data.poll_after || interval / 1000) * 1000;
        }
        delay = interval;
        // A fixed rate, counted from this poll's start: a change is then seen within one
        // interval and one answer's time. When answers are slow (a server under load) the
        // page still waits half an interval, so slow answers never turn into a stampede.
        schedule(Math.max(interval / 2, started + interval - Date.now()));
      })
      .catch(function () {
        busy = false;
        delay = Math.min(delay * 2, 300000);
        schedule(delay);
      });
  }

  document.addEventListener("visibilitychange", function () { if (document.hidden) clearTimeout(timer); else schedule(0); });
  schedule(interval);
})();
