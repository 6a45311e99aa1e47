// Live figures without a framework: a <main data-refresh="N"> is fetched again every N
// seconds and swapped in while the tab is visible; a failed fetch leaves the page as it is.
(function () {
  var main = document.querySelector("main[data-refresh]");
  if (!main) return;
  var seconds = Math.max(10, parseInt(main.getAttribute("data-refresh"), 10) || 60);
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
