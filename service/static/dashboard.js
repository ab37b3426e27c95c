// Dashboard pages: filters and 刷新 replace the live part of the page without a reload, and
// it refreshes itself every minute while visible. No dependencies; works without it too.
(function () {
  "use strict";
  var REFRESH_MS = 60000;
  var live = document.querySelector("[data-live]");
  var stamp = document.querySelector("[data-updated]");
  if (!live || !window.fetch || !window.DOMParser) { return; }

  function mark(text) { if (stamp) { stamp.textContent = text; } }

  function now() {
    var d = new Date();
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2) + ":" +
      ("0" + d.getSeconds()).slice(-2);
  }

  function load(url, push) {
    live.setAttribute("aria-busy", "true");
    return fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
        if (!fresh) { throw new Error("no live part"); }
        live.innerHTML = fresh.innerHTML;
        if (push) { history.replaceState(null, "", url); }
        mark("更新于 " + now());
        document.dispatchEvent(new CustomEvent("dashboard:updated"));
      })
      .catch(function () { mark("更新失败，稍后重试"); })
      .then(function () { live.removeAttribute("aria-busy"); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-live-form")) { return; }
    event.preventDefault();
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value !== "") { params.append(key, value); } });
    var query = params.toString();
    load(form.getAttribute("action") + (query ? "?" + query : ""), true);
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-refresh]")) { load(location.href, false); }
  });

  mark("更新于 " + now());
  setInterval(function () {
    if (document.visibilityState === "visible") { load(location.href, false); }
  }, REFRESH_MS);
})();
