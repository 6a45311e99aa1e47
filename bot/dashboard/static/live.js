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
