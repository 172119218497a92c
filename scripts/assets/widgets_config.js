// Loaded on widget pages between require.js and the ipywidgets HTML manager (embed-amd.js).
// It makes the manager resolve everything on this site: its own chunks and Font Awesome fonts
// (looked up through require.js paths) and any widget module it does not bundle (the
// "data-jupyter-widgets-cdn" fallback would otherwise be cdn.jsdelivr.net).
(function () {
  var here = document.currentScript.src.replace(/[^/]*$/, ""); // .../_static/
  window.requirejs.config({
    paths: { "@jupyter-widgets/html-manager/dist": here + "html-manager" },
  });
  document.currentScript.setAttribute("data-jupyter-widgets-cdn", here + "widget-modules/");
})();
