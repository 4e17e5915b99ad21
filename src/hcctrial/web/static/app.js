// Live previews: a form with data-preview="URL" data-target="ID" posts its values (with the
// CSRF token it carries) to URL as they are typed, and shows the returned HTML fragment (rendered
// and escaped by the server) in the element ID. No framework; about 30 lines.
(function () {
  "use strict";
  function wire(form) {
    var url = form.getAttribute("data-preview");
    var target = document.getElementById(form.getAttribute("data-target"));
    if (!url || !target) { return; }
    var timer = null;
    var seq = 0;
    function refresh() {
      var mine = ++seq;
      fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          if (mine === seq) { target.innerHTML = html; target.setAttribute("data-seq", String(mine)); }
        })
        .catch(function () { /* the saved form still validates on the server */ });
    }
    function later() { clearTimeout(timer); timer = setTimeout(refresh, 200); }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    refresh();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-preview]").forEach(wire);
  });
})();
