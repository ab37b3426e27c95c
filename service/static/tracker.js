// momentcast read tracker. No dependencies, no cookies of its own, nothing personal.
// Sends running totals (visible ms, engaged ms, max scroll %, ms per section) with a page-view
// token and a sequence number, so the server keeps maxima: duplicates, reordering and lost
// beacons change nothing, and a killed page loses at most one interval.
(function () {
  "use strict";
  var root = document.getElementById("mc-track");
  if (!root || !root.getAttribute("data-token")) { return; }
  var token = root.getAttribute("data-token");
  var endpoint = root.getAttribute("data-endpoint") || "/t";
  var idleMs = (parseFloat(root.getAttribute("data-idle")) || 30) * 1000;
  var SCHEDULE = [5, 10, 20, 30, 45, 60];  // seconds after opening; then every 15 s
  var EVERY = 15;
  var MAX_GAP = 2000;

  var perf = window.performance;
  function now() { return perf && perf.now ? perf.now() : Date.now(); }
  function isVisible() { return document.visibilityState !== "hidden"; }

  var start = now();
  var last = start;          // time up to which totals are counted
  var lastActive = start;    // last touch, scroll, key or show
  var visible = isVisible();
  var visibleMs = 0, engagedMs = 0, depth = 0, seq = 0, step = 0;
  var sections = {};         // section id -> engaged ms
  var seen = {};             // section id -> visible px, from IntersectionObserver
  var current = null;        // the section being read: the one filling most of the screen

  // Bring the totals up to now. Engaged = visible and within idleMs of the last activity;
  // the engaged part goes to the current section, so sections add up to engaged time.
  // A 1 s tick keeps `last` fresh, so a longer gap means frozen timers (a locked phone that
  // sent no visibilitychange): such a gap adds at most MAX_GAP, never the whole freeze.
  function advance() {
    var t = now();
    if (visible && t > last) {
      var counted = Math.min(t - last, MAX_GAP);
      visibleMs += counted;
      var engagedEnd = Math.min(last + counted, lastActive + idleMs);
      if (engagedEnd > last) {
        engagedMs += engagedEnd - last;
        if (current) { sections[current] = (sections[current] || 0) + (engagedEnd - last); }
      }
    }
    last = t;
  }

  function activity() {
    advance();
    lastActive = now();
  }

  function measureDepth() {
    var doc = document.documentElement, body = document.body;
    var height = Math.max(doc.scrollHeight, body ? body.scrollHeight : 0);
    var top = window.pageYOffset || doc.scrollTop || 0;
    var pct = height > 0 ? Math.round((top + window.innerHeight) / height * 100) : 100;
    pct = Math.max(0, Math.min(100, pct));
    if (pct > depth) { depth = pct; }
  }

  function payload(kind) {
    advance();
    measureDepth();
    seq += 1;
    var x = {};
    for (var id in sections) {
      if (Object.prototype.hasOwnProperty.call(sections, id)) { x[id] = Math.round(sections[id]); }
    }
    return JSON.stringify({
      t: token, s: seq, k: kind, v: Math.round(visibleMs), e: Math.round(engagedMs), d: depth, x: x
    });
  }

  // sendBeacon survives the page going away; fetch keepalive, then XHR, where it is missing
  // or refuses. A string body goes out as text/plain, which needs no CORS preflight.
  function send(kind) {
    var body = payload(kind);
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) { return; }
    } catch (e) { /* fall through */ }
    try {
      if (window.fetch) {
        window.fetch(endpoint, {
          method: "POST", body: body, keepalive: true, credentials: "same-origin",
          headers: { "Content-Type": "text/plain" }
        })["catch"](function () {});
        return;
      }
    } catch (e) { /* fall through */ }
    try {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", endpoint, true);
      xhr.setRequestHeader("Content-Type", "text/plain");
      xhr.send(body);
    } catch (e) { /* nothing more to try */ }
  }

  function nextAt() {
    var n = SCHEDULE.length;
    return (step < n ? SCHEDULE[step] : SCHEDULE[n - 1] + EVERY * (step - n + 1)) * 1000;
  }

  function heartbeat() {
    if (visible) { send("hb"); }  // hidden pages' totals do not move; the hide beacon has them
    step += 1;
    schedule();
  }

  function schedule() {
    setTimeout(heartbeat, Math.max(0, nextAt() - (now() - start)));
  }

  function setVisible(value, kind) {
    if (value === visible) { return; }
    advance();
    visible = value;
    if (value) { lastActive = now(); }  // coming back counts as activity
    send(kind);
  }

  document.addEventListener("visibilitychange", function () {
    var value = isVisible();
    setVisible(value, value ? "show" : "hide");
  });
  window.addEventListener("pagehide", function () {
    advance();
    visible = false;  // time in the back/forward cache is not reading
    send("pagehide");
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { last = now(); setVisible(isVisible(), "show"); }
  });
  ["scroll", "touchstart", "touchmove", "wheel", "keydown", "mousedown", "pointerdown"].forEach(
    function (name) {
      window.addEventListener(name, function () {
        activity();
        if (name === "scroll") { measureDepth(); }
      }, { passive: true, capture: true });
    });

  function pickCurrent() {
    var best = null, bestPx = 0;
    for (var id in seen) {
      if (Object.prototype.hasOwnProperty.call(seen, id) && seen[id] > bestPx) {
        best = id; bestPx = seen[id];
      }
    }
    // Between sections (or past the last one) keep crediting the one read last.
    if (best && best !== current) { advance(); current = best; }
  }

  var parts = document.querySelectorAll("[data-section]");
  if (window.IntersectionObserver && parts.length) {
    var thresholds = [];
    for (var i = 0; i <= 20; i++) { thresholds.push(i / 20); }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        seen[entry.target.getAttribute("data-section")] =
          entry.isIntersecting ? entry.intersectionRect.height : 0;
      });
      pickCurrent();
    }, { threshold: thresholds });
    for (var j = 0; j < parts.length; j++) { observer.observe(parts[j]); }
  }

  // The address bar now shows this viewer's own link: what they share next names them.
  var child = root.getAttribute("data-child");
  if (child && window.history && history.replaceState) {
    try { history.replaceState(history.state, "", child); } catch (e) { /* keep the URL */ }
  }

  measureDepth();
  schedule();
  setInterval(advance, 1000);
  window.__momentcastTracker = {
    totals: function () {
      advance();
      return { visible: visibleMs, engaged: engagedMs, depth: depth, sections: sections, seq: seq };
    },
    flush: function () { send("hb"); }
  };
})();
