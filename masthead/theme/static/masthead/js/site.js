/* masthead: "Show More" in place, click-to-play video, dismissing breaking news, and the reader's personal bits
   (form tokens, a greeting after signing in, the meter) on pages cached for everyone.
   Pages work without it. */
(function () {
  "use strict";
  var live = document.querySelector("[data-live-region]");

  function showMore(link) {
    var box = link.closest("[data-listing]");
    var list = box && box.querySelector("[data-listing-items]");
    if (!list || !window.fetch) return false;
    var href = link.href;
    link.setAttribute("aria-busy", "true");
    link.textContent = link.dataset.loading || link.textContent;
    fetch(href + (href.indexOf("?") < 0 ? "?" : "&") + "partial=1")
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var items = [].slice.call(doc.querySelectorAll("[data-listing-items] > li"));
        var days = list.querySelectorAll("[data-day]");
        // A batch that starts on the day the list ends on repeats its separator.
        if (items[0] && days.length && items[0].dataset.day === days[days.length - 1].dataset.day) items.shift();
        var first = null, added = 0;
        items.forEach(function (item) {
          var node = document.importNode(item, true);
          list.appendChild(node);
          if (!node.dataset.day) { added++; first = first || node; }
        });
        var next = doc.querySelector("[data-show-more]");
        var holder = link.parentNode;
        if (next) holder.replaceChild(document.importNode(next, true), link);
        else holder.parentNode.removeChild(holder);
        var message = added === 1 ? link.dataset.loadedOne : (link.dataset.loadedMany || "").replace("{count}", added);
        if (live) {
          // Screen readers skip a repeated identical message unless it changes.
          live.textContent = "";
          setTimeout(function () { live.textContent = message; }, 50);
        }
        var target = first && first.querySelector(".card__link, .brief__link, a[href]");
        // Nothing new (stories unpublished meanwhile): keep focus in the list.
        if (!target) { list.setAttribute("tabindex", "-1"); target = list; }
        target.focus();
      })
      .catch(function () {
        window.location.href = href;
      });
    return true;
  }

  function playVideo(facade) {
    var id = encodeURIComponent(facade.dataset.videoId || "");
    var frame = document.createElement("iframe");
    frame.className = "video-frame";
    frame.src = facade.dataset.videoProvider === "vimeo"
      ? "https://player.vimeo.com/video/" + id + "?autoplay=1"
      : "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1";
    frame.title = facade.dataset.videoTitle || "";
    frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
    facade.parentNode.replaceChild(frame, facade);
    frame.focus();
  }

  document.addEventListener("click", function (e) {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    var more = e.target.closest("a[data-show-more]");
    var facade = e.target.closest("a[data-video-provider]");
    if (more && (more.getAttribute("aria-busy") || showMore(more))) e.preventDefault();
    else if (facade) {
      e.preventDefault();
      playVideo(facade);
    }
  });

  // Pages are the same for every reader of an access variant; what is personal is
  // fetched here: a CSRF token for the forms, the meter, and a one-off notice.
  function readCookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : null;
  }

  function showNotice(kind) {
    var box = document.querySelector("[data-notice]");
    var text = box && box.dataset[kind.replace(/_(\w)/g, function (m, c) { return c.toUpperCase(); })];
    if (!text) return;
    box.querySelector("[data-notice-text]").textContent = text;
    box.hidden = false;
    // A live region that appears already filled is often not read out; the page's
    // permanent one is, once its text changes.
    if (live) setTimeout(function () { live.textContent = text; }, 100);
  }

  var notice = readCookie("masthead-notice");
  if (notice) {
    document.cookie = "masthead-notice=; Max-Age=0; Path=/; SameSite=Lax";
    showNotice(notice);
  }
  var closer = document.querySelector("[data-notice-close]");
  if (closer) closer.addEventListener("click", function () { closer.closest("[data-notice]").hidden = true; });

  // Breaking news: a reader who dismissed a story's banner does not see it again in
  // this browser; a newer story's banner shows. Without storage, the button still hides it.
  var breaking = document.querySelector("[data-breaking]");
  if (breaking) {
    var dismissKey = "masthead-breaking-dismissed";
    var dismissed = null;
    try { dismissed = window.localStorage.getItem(dismissKey); } catch (err) { /* storage off */ }
    if (dismissed === breaking.dataset.breaking) breaking.hidden = true;
    var dismiss = breaking.querySelector("[data-breaking-dismiss]");
    if (dismiss && !breaking.hidden) {
      dismiss.hidden = false;
      dismiss.addEventListener("click", function () {
        try { window.localStorage.setItem(dismissKey, breaking.dataset.breaking); } catch (err) { /* storage off */ }
        breaking.hidden = true;
        var main = document.getElementById("main");
        if (main) main.focus();
      });
    }
  }

  // The monthly meter has not started in this browser: start it and come back once.
  var meterStart = document.querySelector("form[data-meter-start]");
  if (meterStart && window.location.search.indexOf("meter=started") < 0) meterStart.submit();

  var csrfInputs = document.querySelectorAll("input[data-csrf]");
  var meterNote = document.querySelector("[data-meter-note]");
  var readerUrl = document.body.dataset.readerUrl;
  if (readerUrl && window.fetch && (csrfInputs.length || meterNote)) {
    fetch(readerUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (reader) {
        if (!reader) return;
        [].forEach.call(csrfInputs, function (input) { input.value = reader.csrf_token; });
        if (meterNote && reader.meter) {
          var left = meterNote.dataset[reader.meter.remaining === 1 ? "leftOne" : "leftMany"];
          if (left) meterNote.querySelector("[data-meter-left]").textContent = left.replace("{count}", reader.meter.remaining);
        }
      })
      .catch(function () { /* the form falls back to the server's confirmation page */ });
  }
})();
