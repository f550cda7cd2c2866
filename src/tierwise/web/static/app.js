// Draws each chart from its embedded figure and lets every table of numbers be downloaded as CSV.
(function () {
  function draw() {
    document.querySelectorAll(".plot[data-figure]").forEach(function (el) {
      var figure = JSON.parse(el.dataset.figure);
      var layout = Object.assign({ margin: { t: 10, r: 10, b: 40, l: 50 }, height: 300 }, figure.layout || {});
      window.Plotly.newPlot(el, figure.data, layout, { responsive: true, displaylogo: false });
    });
  }
  function csv(table) {
    return Array.from(table.rows).map(function (row) {
      return Array.from(row.cells).map(function (cell) {
        return '"' + cell.textContent.trim().replace(/"/g, '""') + '"';
      }).join(",");
    }).join("\r\n");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.export");
    if (!button) return;
    var table = document.querySelector('table[data-export="' + button.dataset.table + '"]');
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob(["\ufeff" + csv(table)], { type: "text/csv" }));
    link.download = button.dataset.table + ".csv";
    link.click();
  });
  if (window.Plotly) draw(); else window.addEventListener("load", function () { if (window.Plotly) draw(); });
})();
