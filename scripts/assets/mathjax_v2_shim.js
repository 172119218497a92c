// ipywidgets 8 typesets labels with MathJax v2's `MathJax.Hub.Queue(["Typeset", MathJax.Hub, el])`;
// this book loads MathJax v3, which has no `Hub`. Add a tiny `Hub` that forwards to v3.
(function () {
  function typeset(el) {
    var mj = window.MathJax;
    if (mj && mj.typesetPromise) {
      (mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve())
        .then(function () { return mj.typesetPromise(el ? [el] : undefined); })
        .catch(function (err) { console.warn("MathJax typeset failed", err); });
    }
  }
  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (typeof job === "function") job();
        else if (Array.isArray(job) && job[0] === "Typeset") typeset(job[2]);
      }
    },
    Typeset: function (el) { typeset(el); },
  };
  var current = window.MathJax;
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () {
      if (current && typeof current === "object" && current.version && !current.Hub) current.Hub = hub;
      return current;
    },
    set: function (value) { current = value; },
  });
})();
