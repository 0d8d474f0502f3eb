"""The explorer's page: HTML, CSS and script in one string, the run's data put inline.

No library, no CDN, no server: the page reads the JSON in its
`<script id="explorer-data">` element and draws every view with the DOM.
Each weight is an element with class "weight" and the attributes
data-row, data-col and data-weight (the exact value, as JSON wrote it), so
that a test, or a user's script, can read what is drawn.
"""

PAGE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>__TITLE__</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 1200px; }
h1 { font-size: 1.3em; margin: 0 0 .3em; }
.controls { display: flex; gap: 1.2em; flex-wrap: wrap; margin: .8em 0; align-items: center; }
.controls label { font-size: .9em; }
select { font-size: .95em; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; margin: .6em 0 1em; }
.facts dt { font-weight: 600; } .facts dd { margin: 0; font-family: ui-monospace, monospace; white-space: pre-wrap; }
table.grid { border-collapse: collapse; font-family: ui-monospace, monospace; font-size: 12px; }
table.grid td, table.grid th { padding: 0; min-width: 18px; height: 18px; text-align: center; }
table.grid th { font-weight: normal; color: #555; padding: 0 3px; }
table.grid th.col { writing-mode: vertical-rl; transform: rotate(180deg); height: auto; padding: 3px 0; }
td.weight { border: 1px solid #fff; cursor: crosshair; }
.tokens { line-height: 2.1; font-size: 15px; }
.tokens span { padding: 2px 3px; margin: 0 1px; border-radius: 3px; }
.tokens span.weight { cursor: crosshair; }
#tip { position: fixed; pointer-events: none; background: #222; color: #fff; padding: 3px 7px;
       border-radius: 4px; font: 12px ui-monospace, monospace; display: none; z-index: 10; }
#hovered { font: 13px ui-monospace, monospace; color: #444; min-height: 1.3em; margin: .5em 0; }
svg.series { display: block; margin-bottom: 4px; }
.note { color: #666; font-size: .85em; }
.picture { position: relative; }
.picture img { position: absolute; left: 0; top: 0; width: 100%; height: 100%; image-rendering: pixelated; }
table.overlay { position: absolute; left: 0; top: 0; border-collapse: collapse; }
table.overlay td { padding: 0; border: 1px solid rgba(255, 255, 255, .35); }
</style>
</head>
<body>
<h1 id="title"></h1>
<div class="note" id="subtitle"></div>
<div class="controls">
  <label>example <select id="example"></select></label>
  <label>layer <select id="layer"></select></label>
  <label>head <select id="head"></select></label>
</div>
<dl class="facts" id="facts"></dl>
<div id="series"></div>
<div id="view"></div>
<div id="hovered"></div>
<div class="note" id="legend"></div>
<div id="tip"></div>
<script id="explorer-data" type="application/json">__DATA__</script>
<script>
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("explorer-data").textContent);
  var exampleSelect = document.getElementById("example");
  var layerSelect = document.getElementById("layer");
  var headSelect = document.getElementById("head");
  var tip = document.getElementById("tip");
  var hovered = document.getElementById("hovered");

  function option(select, text, value) {
    var element = document.createElement("option");
    element.textContent = text; element.value = String(value);
    select.appendChild(element);
  }
  function fill(select, names, keep) {
    var previous = keep && select.value !== "" ? select.value : "0";
    select.innerHTML = "";
    names.forEach(function (name, index) { option(select, name, index); });
    select.value = Number(previous) < names.length ? previous : "0";
  }
  function colour(weight, largest) {
    var share = largest > 0 ? Math.max(0, weight) / largest : 0;
    return "rgba(214, 39, 40, " + share.toFixed(4) + ")";
  }
  function largestOf(matrix) {
    var largest = 0;
    matrix.forEach(function (row) { row.forEach(function (w) { if (w !== null && w > largest) largest = w; }); });
    return largest;
  }
  function weightCell(element, example, row, col, weight, largest) {
    element.className = "weight";
    element.dataset.row = String(row); element.dataset.col = String(col);
    element.dataset.weight = String(weight);
    element.style.background = colour(weight, largest);
    var text = (example.rows.length > 1 ? example.rows[row] + " \u2192 " : "") +
               example.columns[col] + ": " + String(weight);
    element.addEventListener("mousemove", function (event) {
      tip.textContent = text; tip.style.display = "block";
      tip.style.left = (event.clientX + 12) + "px"; tip.style.top = (event.clientY + 12) + "px";
      hovered.textContent = text;
    });
    element.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  }
  function drawGrid(container, example, matrix) {
    var largest = largestOf(matrix);
    var table = document.createElement("table"); table.className = "grid";
    var head = table.insertRow(); head.appendChild(document.createElement("th"));
    example.columns.forEach(function (label) {
      var th = document.createElement("th"); th.className = "col"; th.textContent = label; head.appendChild(th);
    });
    matrix.forEach(function (values, row) {
      var tr = table.insertRow();
      var th = document.createElement("th"); th.textContent = example.rows[row]; tr.appendChild(th);
      values.forEach(function (weight, col) {
        var td = tr.insertCell();
        if (weight !== null) weightCell(td, example, row, col, weight, largest);
      });
    });
    container.appendChild(table);
  }
  function drawTokens(container, example, matrix) {
    var largest = largestOf(matrix);
    var box = document.createElement("div"); box.className = "tokens";
    example.columns.forEach(function (word, col) {
      var span = document.createElement("span"); span.textContent = word;
      var weight = matrix[0][col];
      if (weight !== null) weightCell(span, example, 0, col, weight, largest);
      box.appendChild(span); box.appendChild(document.createTextNode(" "));
    });
    container.appendChild(box);
  }
  function drawImage(container, example, matrix, image) {
    var largest = largestOf(matrix), size = matrix[0].length;
    var cell = Math.max(18, Math.round(280 / Math.max(matrix.length, size)));
    var box = document.createElement("div"); box.className = "picture";
    box.style.width = (cell * size) + "px"; box.style.height = (cell * matrix.length) + "px";
    var picture = document.createElement("img"); picture.src = image; picture.alt = "the input image";
    box.appendChild(picture);
    var table = document.createElement("table"); table.className = "overlay";
    matrix.forEach(function (values, row) {
      var tr = table.insertRow();
      values.forEach(function (weight, col) {
        var td = tr.insertCell(); td.style.width = cell + "px"; td.style.height = cell + "px";
        if (weight === null) return;
        weightCell(td, example, row, col, weight, largest);
        td.style.background = "rgba(214, 39, 40, " + (0.7 * Math.max(0, weight) / (largest || 1)).toFixed(4) + ")";
      });
    });
    box.appendChild(table); container.appendChild(box);
  }
  function drawSeries(container, example) {
    if (!example.series) return;
    var values = example.series.values, width = 18 * values.length, height = 60;
    var finite = values.filter(function (v) { return v !== null; });
    if (!finite.length) return;
    var low = Math.min.apply(null, finite), high = Math.max.apply(null, finite), span = high - low || 1;
    var points = [];
    values.forEach(function (v, i) {
      if (v !== null) points.push((i * 18 + 9 + 40).toFixed(1) + "," + (5 + (height - 10) * (1 - (v - low) / span)).toFixed(1));
    });
    container.innerHTML = '<svg class="series" width="' + (width + 40) + '" height="' + height + '">' +
      '<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="' + points.join(" ") + '"/>' +
      '<text x="0" y="12" font-size="10" fill="#555">' + example.series.name + '</text></svg>';
  }
  function render() {
    var example = data.examples[Number(exampleSelect.value)];
    fill(layerSelect, example.views.map(function (v) { return v.name; }), true);
    var view = example.views[Number(layerSelect.value)];
    fill(headSelect, view.heads.map(function (h) { return h.name; }), true);
    var matrix = view.heads[Number(headSelect.value)].weights;
    var facts = document.getElementById("facts"); facts.innerHTML = "";
    [["input", example.input], ["prediction", example.prediction], ["truth", example.truth]].forEach(function (pair) {
      if (pair[1] === null || pair[1] === undefined) return;
      var dt = document.createElement("dt"); dt.textContent = pair[0];
      var dd = document.createElement("dd"); dd.textContent = pair[1]; dd.id = "fact-" + pair[0];
      facts.appendChild(dt); facts.appendChild(dd);
    });
    var container = document.getElementById("view"); container.innerHTML = "";
    container.dataset.example = exampleSelect.value; container.dataset.layer = layerSelect.value;
    container.dataset.head = headSelect.value;
    document.getElementById("series").innerHTML = "";
    if (view.kind !== "lags") drawSeries(document.getElementById("series"), example);
    var shown = {rows: view.rows || example.rows, columns: view.columns || example.columns};
    var drawn = {rows: shown.rows, columns: shown.columns};
    if (data.kind === "tokens") drawTokens(container, drawn, matrix);
    else if (data.kind === "image") drawImage(container, drawn, matrix, example.image);
    else drawGrid(container, drawn, matrix);
    document.getElementById("legend").textContent = view.note || "";
    hovered.textContent = "";
  }
  document.getElementById("title").textContent = data.title;
  document.getElementById("subtitle").textContent = data.subtitle || "";
  document.title = data.title;
  data.examples.forEach(function (example, index) { option(exampleSelect, example.name, index); });
  exampleSelect.addEventListener("change", render);
  layerSelect.addEventListener("change", render);
  headSelect.addEventListener("change", render);
  render();
})();
</script>
</body>
</html>
"""
