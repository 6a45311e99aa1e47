// Live figures without a framework: a <main data-refresh="N"> is fetched again every N
// seconds and swapped in while the tab is visible; a failed fetch leaves the page as it is.
// An element with data-seconds="N" counts down from N, from when it was drawn.
(function tick() {
  document.querySelectorAll("[data-seconds]").forEach(function (el) {
    el.dataset.start = el.dataset.start || String(Date.now());
    var gone = Math.floor((Date.now() - Number(el.dataset.start)) / 1000);
    var left = Math.max(0, (parseInt(el.dataset.seconds, 10) || 0) - gone);
    el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
  });
  setTimeout(tick, 1000);
})();
(function () {
  var main = document.querySelector("main[data-refresh]");
  if (!main) return;
  var seconds = Math.max(2, parseInt(main.getAttribute("data-refresh"), 10) || 60);
  setInterval(function () {
    if (document.hidden) return;
    fetch(location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (!text) return;
        var fresh = new DOMParser().parseFromString(text, "text/html").querySelector("main");
        if (fresh) main.innerHTML = fresh.innerHTML;
      })
      .catch(function () {});
  }, seconds * 1000);
})();

// A delivery report (<section data-report="url.json" data-refresh-in="N">): its figures
// read again after N seconds, as long as the answer says more will change (refresh > 0).
(function () {
  var report = document.querySelector("[data-report]");
  if (!report) return;
  function later(seconds) {
    if (seconds > 0) setTimeout(read, seconds * 1000);
  }
  function read() {
    if (document.hidden) return later(3);
    fetch(report.getAttribute("data-report"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (found) {
        if (!found) return later(30);
        Object.keys(found.counts).forEach(function (name) {
          var cell = report.querySelector('[data-count="' + name + '"]');
          if (cell) cell.textContent = found.counts[name];
        });
        var state = report.querySelector('[data-field="state"]');
        if (state) state.textContent = found.state;
        var cancel = report.querySelector('[data-shown-if="cancellable"]');
        if (cancel) cancel.hidden = !found.cancellable;
        later(found.refresh);
      })
      .catch(function () { later(30); });
  }
  later(parseInt(report.getAttribute("data-refresh-in"), 10) || 0);
})();
