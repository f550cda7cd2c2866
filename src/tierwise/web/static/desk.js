// The agent's desk: waiting times tick as mm:ss, and one key does each step of a call.
(function () {
  var loaded = Date.now();
  function tick() {
    var extra = Math.floor((Date.now() - loaded) / 1000);
    document.querySelectorAll(".waited[data-waited]").forEach(function (el) {
      var total = parseInt(el.dataset.waited, 10) + extra;
      el.textContent = Math.floor(total / 60) + ":" + String(total % 60).padStart(2, "0");
    });
  }
  setInterval(tick, 1000);
  var keys = {
    n: function () { var f = document.getElementById("take-form"); if (f) f.requestSubmit(); },
    w: function () { var m = document.getElementById("wrap-memo"); if (m) m.focus(); },
    t: function () { var s = document.getElementById("t-subject"); if (s) s.focus(); },
    "/": function () { var s = document.getElementById("find"); if (s) { s.focus(); s.select(); } },
  };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    var act = keys[event.key.toLowerCase()];
    if (act) { event.preventDefault(); act(); }
  });
})();
