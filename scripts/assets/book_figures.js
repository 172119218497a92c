// resnet-book page helpers (loaded on every page; no dependencies, no requests):
// 1. Tap or click a figure image to see it at full resolution in an overlay (phones show figures
//    shrunk to the screen width; the stored PNGs are 2x). Escape, a tap or the close button
//    closes it. Works for images in widgets too (they render late: a MutationObserver watches).
// 2. Give every widget slider handle an accessible name: the widget's visible label.
// 3. Folded code cells ("Show code cell source"): their summary's accessible name is its visible
//    text (myst-nb labels it "Toggle hidden content", which screen-reader users cannot match).
// 4. The references page: Sphinx marks the bibliography as a list of doc-biblioentry items;
//    assistive technology (and axe-core) expect list items in a list.
// 5. Search results: Sphinx quotes each hit from the text of the page's [role=main], which in this
//    theme begins with the header buttons (".md .pdf 中文") and the page's contents; quote the
//    article only.
(function () {
  "use strict";
  var CONTENT = "main .bd-article, article.bd-article, main";

  function isFigureImage(img) {
    if (!img || img.tagName !== "IMG") return false;
    if (img.closest(".navbar-brand, .bd-header, .bd-sidebar-primary, .book-zoom")) return false;
    return !!img.closest(CONTENT);
  }

  function openZoom(img, fullSrc) {
    var overlay = document.createElement("div");
    overlay.className = "book-zoom";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", "Full-resolution image: " + (img.alt || "figure"));
    var close = document.createElement("button");
    close.type = "button";
    close.className = "book-zoom-close";
    close.textContent = "Close";
    var big = document.createElement("img");
    big.src = fullSrc || img.currentSrc || img.src;
    big.alt = img.alt || "";
    // natural pixel size: a 2x PNG appears twice as large as in the page; pan to explore
    big.style.width = (img.naturalWidth || img.width * 2) + "px";
    big.addEventListener("load", function () { big.style.width = big.naturalWidth + "px"; });
    overlay.appendChild(close);
    overlay.appendChild(big);
    function dismiss() {
      overlay.remove();
      document.removeEventListener("keydown", onKey);
      img.focus && img.focus();
    }
    function onKey(e) { if (e.key === "Escape") dismiss(); }
    overlay.addEventListener("click", function (e) { if (e.target !== big) dismiss(); });
    big.addEventListener("click", dismiss);
    document.addEventListener("keydown", onKey);
    document.body.appendChild(overlay);
    close.focus();
  }

  function prepare(img) {
    if (img.dataset.bookZoom || !isFigureImage(img)) return;
    img.dataset.bookZoom = "1";
    img.classList.add("book-zoomable");
    img.setAttribute("tabindex", "0");
    img.setAttribute("title", "Open the full-resolution image");
  }

  function nameSliders(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(".widget-slider, .widget-hslider")
      .forEach(function (box) {
        var label = box.querySelector(".widget-label");
        var text = label && label.textContent.trim();
        box.querySelectorAll("[role=slider], .noUi-handle").forEach(function (h) {
          if (text && !h.getAttribute("aria-label")) h.setAttribute("aria-label", text);
        });
      });
  }

  function nameSummaries(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("details > summary[aria-label]")
      .forEach(function (summary) {
        if (summary.textContent.trim()) summary.removeAttribute("aria-label");
      });
  }

  function scan(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("img").forEach(prepare);
    nameSliders(root);
    nameSummaries(root);
    document.querySelectorAll('.citation-list[role=list] > [role="doc-biblioentry"]')
      .forEach(function (entry) { entry.setAttribute("role", "listitem"); });
  }

  document.addEventListener("click", function (e) {
    var img = e.target.closest && e.target.closest("img.book-zoomable");
    if (!img || e.defaultPrevented) return;
    var link = img.closest("a");
    // Sphinx links a scaled figure to its image file: show that file in the overlay instead of
    // leaving the page. Images inside any other link keep the link's behaviour.
    if (link && !link.classList.contains("image-reference")) return;
    e.preventDefault();
    openZoom(img, link ? link.href : null);
  });
  document.addEventListener("keydown", function (e) {
    var img = document.activeElement;
    if ((e.key === "Enter" || e.key === " ") && img && img.classList &&
        img.classList.contains("book-zoomable")) {
      e.preventDefault();
      var link = img.closest("a");
      openZoom(img, link && link.classList.contains("image-reference") ? link.href : null);
    }
  });

  var NOT_ARTICLE = ".bd-header-article, .onlyprint, .bd-sidebar-secondary, " +
    ".prev-next-footer, .bd-footer-content";

  function quoteArticleOnly() {
    if (typeof Search === "undefined" || !Search.htmlToText) return;  // not the search page
    var toText = Search.htmlToText;
    Search.htmlToText = function (htmlString, anchor) {
      var page = new DOMParser().parseFromString(htmlString, "text/html");
      page.querySelectorAll(NOT_ARTICLE).forEach(function (el) { el.remove(); });
      return toText(page.documentElement.outerHTML, anchor);
    };
  }

  function start() {
    quoteArticleOnly();
    scan(document);
    new MutationObserver(function (records) {
      records.forEach(function (r) {
        r.addedNodes.forEach(function (n) {
          if (n.nodeType !== 1) return;
          if (n.tagName === "IMG") prepare(n);
          else scan(n);
          var box = n.closest && n.closest(".widget-slider, .widget-hslider");
          if (box) nameSliders(box.parentNode || box);
        });
      });
    }).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
