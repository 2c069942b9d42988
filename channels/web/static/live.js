/* papibot console: keeps an open admin page current without reloading it.
   Every POLL ms it asks /inbox/live (same origin, so the Content-Security-Policy's script-src 'self' and
   default-src 'self' allow it) how many tickets wait, and puts the count in the tab title. On the inbox it
   then fetches the same page again and swaps only the list, its count and the undelivered notices, never
   while a form field has the focus (the swap waits for the next poll). Nothing is reloaded, so nothing typed
   is lost; with JavaScript off, reloading the page shows the same. */
(function () {
  "use strict";
  var POLL = 10000;
  var url = document.body.getAttribute("data-live");
  if (!url || !window.fetch || !window.DOMParser) {
    return;
  }
  var base = document.title.replace(/^\(\d+\)\s*/, "");
  var regions = ["inbox-count", "inbox-list", "inbox-problems"];
  var news = document.getElementById("inbox-news");
  var seen = document.body.getAttribute("data-live-key");  /* what the page was rendered with, if it says */
  var stale = false;

  function busy() {
    var el = document.activeElement;
    if (!el || el === document.body) {
      return false;
    }
    if (/^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(el.tagName) || el.isContentEditable) {
      return true;
    }
    return regions.some(function (id) {
      var region = document.getElementById(id);
      return region !== null && region.contains(el);
    });
  }

  function swap(pending) {
    if (!document.getElementById("inbox-list") || busy()) {
      return;
    }
    stale = false;
    fetch(window.location.href, {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html === null) {
        stale = true;
        return;
      }
      var fresh = new DOMParser().parseFromString(html, "text/html");
      regions.forEach(function (id) {
        var now = document.getElementById(id);
        var next = fresh.getElementById(id);
        if (now !== null && next !== null) {
          now.replaceWith(document.importNode(next, true));
        }
      });
      if (news !== null) {
        news.textContent = "Đã cập nhật lúc " + new Date().toLocaleTimeString("vi-VN") + ": " + pending +
          " câu hỏi đang chờ.";
      }
    }).catch(function () {
      stale = true;
    });
  }

  function show(data) {
    document.title = (data.pending ? "(" + data.pending + ") " : "") + base;
    var key = [data.pending, data.latest, data.problems].join(":");
    if (seen !== null && key !== seen) {
      stale = true;
    }
    seen = key;
    if (stale) {
      swap(data.pending);
    }
  }

  function poll() {
    fetch(url, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (r) {
        var type = r.headers.get("content-type") || "";
        return r.ok && type.indexOf("application/json") === 0 ? r.json() : null;
      })
      .then(function (data) {
        if (data !== null) {
          show(data);
        }
      })
      .catch(function () { /* the server is away: try again at the next poll */ })
      .then(function () {
        window.setTimeout(poll, POLL);
      });
  }

  window.setTimeout(poll, POLL);
}());
