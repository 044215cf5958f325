// Progressive enhancement only: every page works without this script.
// Facet boxes and the sort order submit the search form when changed.
(function () {
  document.documentElement.classList.add("js");
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.classList && input.classList.contains("auto") && input.form) {
      input.form.submit();
    }
  });
})();
