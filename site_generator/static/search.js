/* Conveyor artifact search, loaded by search.html only (every other page works without it).
 * The search box on every page submits ?q=... here; this script reads the index shipped
 * with the site (search-index.json, no server, no CDN), opens the page of an exact match
 * and lists the rest: labels starting with the query first, then labels containing it.
 * All text goes in through textContent, and only links into this site are followed. */
(function () {
  "use strict";
  var script = document.currentScript;
  var status = document.getElementById("search-status");
  var results = document.getElementById("search-results");
  var input = document.getElementById("site-search");
  if (!script || !status || !results || !input || !window.fetch || !window.URL) {
    return;
  }
  var root = new URL("../", script.src); // static/search.js -> the site root
  var LIMIT = 100;
  var KIND = { package: "Package", build: "Build", module: "Module build", chain: "Rebuild chain", compose: "Compose" };

  function norm(text) {
    return String(text || "").trim().toLowerCase();
  }

  function inside(href) {
    var url = new URL(String(href), root);
    return url.href.indexOf(root.href) === 0 ? url.href : null;
  }

  function find(entries, query) {
    var exact = [], starts = [], contains = [];
    entries.forEach(function (entry) {
      var label = norm(entry.label);
      var at = label.indexOf(query);
      if (label === query || norm(entry.detail) === query) {
        exact.push(entry);
      } else if (at === 0) {
        starts.push(entry);
      } else if (at > 0) {
        contains.push(entry);
      }
    });
    return { exact: exact, rest: starts.concat(contains) };
  }

  // An NVR the index does not hold (an older build): its package, by the name it starts with.
  function packagesOfNvr(entries, query) {
    var parts = query.split("-");
    if (parts.length < 3) {
      return [];
    }
    var name = parts.slice(0, -2).join("-");
    return entries.filter(function (entry) {
      return entry.kind === "package" && norm(entry.label) === name;
    });
  }

  function show(list, total) {
    results.textContent = "";
    if (!list.length) {
      return;
    }
    var ul = document.createElement("ul");
    ul.className = "search-results";
    list.slice(0, LIMIT).forEach(function (entry) {
      var href = inside(entry.href);
      if (!href) {
        return;
      }
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = href;
      a.textContent = entry.label;
      var note = document.createElement("span");
      note.className = "none";
      note.textContent = " " + (KIND[entry.kind] || entry.kind) + (entry.detail ? ", " + entry.detail : "");
      li.appendChild(a);
      li.appendChild(note);
      ul.appendChild(li);
    });
    results.appendChild(ul);
    if (total > LIMIT) {
      status.textContent += " Showing the first " + LIMIT + ".";
    }
  }

  function update(entries, jump) {
    var query = norm(input.value);
    if (!query) {
      status.textContent = "Type a package name, an NVR or an NSVC.";
      show([], 0);
      return;
    }
    var found = find(entries, query);
    if (!found.exact.length) {
      found.exact = packagesOfNvr(entries, query);
    }
    if (jump && found.exact.length === 1 && inside(found.exact[0].href)) {
      status.textContent = "Opening " + found.exact[0].label + "…";
      window.location.replace(inside(found.exact[0].href));
      return;
    }
    var all = found.exact.concat(found.rest);
    status.textContent = all.length ? all.length + " matching." : "Nothing matches “" + input.value.trim() + "”.";
    show(all, all.length);
  }

  input.value = new URLSearchParams(window.location.search).get("q") || "";
  status.textContent = "Loading the search index…";
  fetch(new URL("search-index.json", root).href)
    .then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    })
    .then(function (data) {
      var entries = Array.isArray(data.entries) ? data.entries : [];
      update(entries, true);
      input.addEventListener("input", function () {
        update(entries, false); // while typing: list, never navigate away
      });
    })
    .catch(function () {
      status.textContent = "The search index could not be loaded; use the packages index instead.";
    });
})();
