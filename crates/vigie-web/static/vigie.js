// Vigie — progressive enhancement of the pages. Every page works without this file:
// it only adds tabs, keyboard shortcuts, the unsaved-changes warning and focus handling.
// No inline script, no eval: the Content-Security-Policy forbids both.
(function () {
  "use strict";

  // ---- Tabs: sections marked data-tab inside [data-tabs] become an ARIA tablist.
  function setupTabs(root) {
    const panels = Array.from(root.querySelectorAll(":scope > [data-tab]"));
    if (panels.length < 2 || root.querySelector(":scope > [role=tablist]")) return;
    const list = document.createElement("div");
    list.setAttribute("role", "tablist");
    list.setAttribute("aria-label", root.getAttribute("data-tabs") || "Onglets");
    list.className = "tabs";
    const tabs = panels.map(function (panel, i) {
      const tab = document.createElement("button");
      tab.type = "button";
      tab.setAttribute("role", "tab");
      tab.id = "tab-" + panel.id;
      tab.setAttribute("aria-controls", panel.id);
      const key = i + 1;
      tab.textContent = panel.getAttribute("data-tab");
      tab.title = "Alt+" + key;
      if (panel.querySelector("[aria-invalid=true]")) {
        tab.classList.add("has-error");
        tab.textContent += " (erreur)";
      }
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tab.id);
      list.appendChild(tab);
      return tab;
    });
    root.insertBefore(list, panels[0]);
    const toc = root.querySelector(":scope > .toc");
    if (toc) toc.hidden = true;

    function select(i, focus) {
      tabs.forEach(function (t, j) {
        const on = i === j;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
        panels[j].hidden = !on;
      });
      if (focus) tabs[i].focus();
      root.setAttribute("data-current-tab", String(i));
    }
    tabs.forEach(function (t, i) {
      t.addEventListener("click", function () { select(i, false); });
      t.addEventListener("keydown", function (ev) {
        let j = null;
        if (ev.key === "ArrowRight") j = (i + 1) % tabs.length;
        if (ev.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
        if (ev.key === "Home") j = 0;
        if (ev.key === "End") j = tabs.length - 1;
        if (j !== null) { ev.preventDefault(); select(j, true); }
      });
    });
    // Start on the tab given by the server (after a re-render), else the first one with
    // an error, else the first.
    let start = parseInt(root.getAttribute("data-current-tab") || "", 10);
    const withError = panels.findIndex(function (p) { return p.querySelector("[aria-invalid=true]"); });
    if (withError >= 0) start = withError;
    if (!(start >= 0 && start < tabs.length)) start = 0;
    select(start, false);
    root._vigieSelect = select;
    root._vigieCount = tabs.length;
    // Moving to a field inside a hidden panel (error summary link) opens its tab.
    root.addEventListener("vigie:reveal", function (ev) {
      const i = panels.findIndex(function (p) { return p.contains(ev.target); });
      if (i >= 0) select(i, false);
    });
  }

  function reveal(el) {
    if (el) el.dispatchEvent(new CustomEvent("vigie:reveal", { bubbles: true }));
  }

  // ---- Keyboard shortcuts, listed on the page: Alt+S save, Alt+1..9 tabs, Alt+N add a child.
  document.addEventListener("keydown", function (ev) {
    if (!ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const form = document.querySelector("form[data-dossier-form]");
    if (!form) return;
    const key = ev.key.toLowerCase();
    if (key === "s") {
      const save = form.querySelector("button[data-save]");
      if (save) { ev.preventDefault(); save.click(); }
    } else if (key === "n") {
      const add = form.querySelector("button[data-add-child]");
      if (add) { ev.preventDefault(); add.click(); }
    } else if (/^[1-9]$/.test(key)) {
      const root = form.querySelector("[data-tabs]");
      const i = parseInt(key, 10) - 1;
      if (root && root._vigieSelect && i < root._vigieCount) {
        ev.preventDefault();
        root._vigieSelect(i, true);
      }
    }
  });

  // ---- Unsaved changes: warn before leaving the page.
  let dirty = false;
  let submitting = false;
  document.addEventListener("input", function (ev) {
    if (ev.target.closest && ev.target.closest("form[data-dossier-form]")) dirty = true;
  });
  document.addEventListener("change", function (ev) {
    if (ev.target.closest && ev.target.closest("form[data-dossier-form]")) dirty = true;
  });
  document.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (ev) {
    if (dirty && !submitting) {
      ev.preventDefault();
      ev.returnValue = "";
    }
  });

  // ---- Known persons: when a child's names or birth date change, look for them (htmx),
  // unless the child is already linked to a person. Without JavaScript the button is there.
  const IDENTITY = /^children\[(\d+)\]\.(birth_name|usage_name|first_names|birth_date)$/;
  document.addEventListener("change", function (ev) {
    const m = ev.target.name && IDENTITY.exec(ev.target.name);
    if (!m || !window.htmx) return;
    const form = ev.target.form;
    const linked = form && form.querySelector("input[type=hidden][name='children[" + m[1] + "].person_id']");
    if (linked && linked.value) return;
    const btn = form && form.querySelector("button[data-suggest='" + m[1] + "']");
    if (!btn) return;
    // The button's request, sent directly: just swapped in by the previous search, the button
    // may not be wired by htmx yet (it is when the swap settles), and a click would then post
    // the whole page (a date typed digit by digit changes several times in a row). Its
    // hx-sync="this:replace" drops a search still under way for the newer one.
    window.htmx.ajax("POST", btn.getAttribute("hx-post"), {
      source: btn,
      target: btn.getAttribute("hx-target"),
      select: btn.getAttribute("hx-select"),
      swap: btn.getAttribute("hx-swap"),
    }).catch(function () { /* replaced by a newer search */ });
  });

  // ---- Error summary: focused on load; its links open the tab holding the field.
  function setupSummary(root, focus) {
    const summary = root.querySelector("[data-error-summary]");
    if (summary && !summary._vigie) {
      summary._vigie = true;
      if (focus) summary.focus();
      summary.addEventListener("click", function (ev) {
        const a = ev.target.closest("a[href^='#']");
        if (!a) return;
        const el = document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));
        if (el) { ev.preventDefault(); reveal(el); el.focus(); }
      });
    }
  }

  // ---- Confirmation before removing a stored child or assignment.
  document.addEventListener("click", function (ev) {
    const b = ev.target.closest && ev.target.closest("button[data-confirm]");
    if (b && !window.confirm(b.getAttribute("data-confirm"))) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  }, true);

  function init(root, first) {
    root.querySelectorAll("[data-tabs]").forEach(setupTabs);
    setupSummary(root, first);
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document, true);
    // After a no-JS style round trip (#anchor in the URL), open the tab holding the anchor.
    if (location.hash.length > 1) {
      const el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (el) reveal(el);
    }
  });
  // After an htmx swap (rows added, suggestions), enhance the new content; the form
  // stays dirty: what was typed is not saved yet.
  // The form's "Ajouter / Retirer / Monter…" buttons re-render the form through htmx
  // (the server answers with the whole page; only the form is swapped). Keep the current
  // tab, then move the focus to what the button's formaction points at.
  let pending = null;
  // ---- Uploads: a file over the size limit is said before sending it (the server checks
  // again and says the same).
  document.addEventListener("change", function (ev) {
    const input = ev.target;
    if (!input.matches || !input.matches("form[data-max-size] input[type=file]")) return;
    const max = Number(input.form.getAttribute("data-max-size")) * 1024 * 1024;
    const large = Array.from(input.files || []).filter(function (f) { return f.size > max; });
    input.setCustomValidity(large.length
      ? "Trop volumineux (" + input.form.getAttribute("data-max-size") + " Mo au plus par fichier) : "
        + large.map(function (f) { return f.name; }).join(", ")
      : "");
    input.reportValidity();
  });

  document.addEventListener("htmx:beforeRequest", function (ev) {
    const elt = ev.detail.elt;
    const root = document.querySelector("form[data-dossier-form] [data-tabs]");
    pending = {
      tab: root ? root.getAttribute("data-current-tab") : null,
      // A search of known persons runs while typing: the focus stays where it is.
      anchor: elt && !elt.hasAttribute("data-suggest") && elt.getAttribute("formaction")
        ? elt.getAttribute("formaction").split("#")[1] : null,
    };
  });
  document.addEventListener("htmx:afterSettle", function () {
    const root = document.querySelector("form[data-dossier-form] [data-tabs]");
    if (root && pending && pending.tab !== null && !root.hasAttribute("data-current-tab")) {
      root.setAttribute("data-current-tab", pending.tab);
    }
    init(document, false);
    dirty = true;
    if (pending && pending.anchor) {
      const target = document.getElementById(pending.anchor);
      if (target) {
        reveal(target);
        const focusable = target.matches("input,select,textarea,button")
          ? target
          : target.querySelector("input:not([type=hidden]),select,textarea,button");
        (focusable || target).focus();
      }
    }
    pending = null;
  });
})();
