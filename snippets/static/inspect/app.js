/* /inspect/: the inspector's offline page. Plain script, no build step.
 *
 * Data: data.json (the visits assigned to this inspector), kept by the service worker for offline
 * use. Work done offline (checklists, issues, photos resized in a canvas) is queued in IndexedDB
 * under a UUID made here; "同步" posts each queued operation to sync/, where the UUID makes a retry
 * or a double tap apply nothing twice. A conflict or a refusal stays in the queue, shown with the
 * server's message, until the inspector discards it: nothing is overwritten silently.
 */
(function () {
  "use strict";

  const body = document.body;
  const USER = body.dataset.user;
  const S = document.getElementById("t-strings").dataset;
  const DB_NAME = "inspect";
  const STORE = "ops";
  const MAX_SIDE = 1600;
  const THUMB_SIDE = 160;

  let snapshot = null;
  let csrfToken = null;
  let syncing = false;
  // Photos taken in the open form, not yet saved to the queue: answer id (or "issue") -> list.
  let draftPhotos = {};

  // --- Small helpers -----------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === null || value === undefined || value === false) {
        return;
      }
      if (key === "text") {
        node.textContent = value;
      } else if (key === "className") {
        node.className = value;
      } else {
        node.setAttribute(key, value === true ? "" : value);
      }
    });
    children.flat().forEach((child) => {
      if (child !== null && child !== undefined) {
        node.append(child);
      }
    });
    return node;
  }

  function newUuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function localDate() {
    const now = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  }

  function notice(message) {
    const box = document.getElementById("notice");
    box.textContent = message || "";
    box.hidden = !message;
  }

  // --- IndexedDB queue ---------------------------------------------------------------------------

  let dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => {
          const store = request.result.createObjectStore(STORE, { keyPath: "uuid" });
          store.createIndex("user", "user");
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  async function withStore(mode, work) {
    const database = await db();
    return new Promise((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const result = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }

  async function myOps() {
    const all = (await withStore("readonly", (store) => store.index("user").getAll(USER))) || [];
    return all.sort((a, b) => a.created - b.created);
  }

  function putOp(op) {
    return withStore("readwrite", (store) => store.put(op));
  }

  function deleteOp(uuid) {
    return withStore("readwrite", (store) => store.delete(uuid));
  }

  // --- Data ----------------------------------------------------------------------------------------

  async function loadData() {
    let response;
    try {
      response = await fetch(body.dataset.dataUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch (error) {
      return false;
    }
    if (response.status === 401 || response.status === 403 || response.redirected) {
      await forgetCachedData();
      notice(S.syncLogin);
      return false;
    }
    if (!response.ok) {
      return false;
    }
    const data = await response.json();
    if (String(data.user.id) !== USER) {
      // Another inspector's data (a stale cache): never shown.
      await forgetCachedData();
      return false;
    }
    snapshot = data;
    csrfToken = data.csrf_token;
    return true;
  }

  async function forgetCachedData() {
    snapshot = null;
    if (window.caches) {
      await caches.delete("inspect-user");
    }
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "logout" });
    }
  }

  function findVisit(id) {
    return snapshot ? snapshot.visits.find((visit) => visit.id === id) : null;
  }

  // --- Rendering -----------------------------------------------------------------------------------

  async function render() {
    const ops = await myOps();
    document.getElementById("pending-count").textContent = String(ops.length);
    const hash = window.location.hash;
    const views = { list: "view-list", visit: "view-visit", queue: "view-queue" };
    let current = "list";
    if (hash.startsWith("#visit-") && findVisit(Number(hash.slice(7)))) {
      current = "visit";
    } else if (hash === "#queue") {
      current = "queue";
    }
    Object.entries(views).forEach(([name, id]) => {
      document.getElementById(id).hidden = name !== current;
    });
    if (current === "visit") {
      renderVisit(findVisit(Number(hash.slice(7))), ops);
    } else if (current === "queue") {
      renderQueue(ops);
    } else {
      renderList(ops);
    }
  }

  function renderList(ops) {
    const list = document.getElementById("visit-list");
    list.replaceChildren();
    const visits = snapshot ? snapshot.visits : [];
    document.getElementById("visit-empty").hidden = visits.length > 0 || !snapshot;
    if (!snapshot) {
      notice(S.noData);
      return;
    }
    document.getElementById("data-age").textContent = `${S.age} ${snapshot.generated_at.slice(0, 16).replace("T", " ")}`;
    visits.forEach((visit) => {
      const local = ops.some((op) => op.visit === visit.id);
      list.append(
        el(
          "li",
          { className: `card card--${visit.state}` },
          el(
            "a",
            { href: `#visit-${visit.id}` },
            el("strong", { text: visit.institution.name }),
            el(
              "span",
              {},
              visit.round.mode === "unannounced" ? el("em", { className: "badge", text: visit.round.mode_label }) : null,
              `${visit.planned_on} · ${visit.state_label}`
            ),
            el("span", { text: `${visit.round.name} · ${visit.institution.township}` }),
            local ? el("span", { className: "local", text: S.local }) : null
          )
        )
      );
    });
  }

  function facts(visit) {
    const rows = [
      [S.round, `${visit.round.name}（${visit.round.mode_label}）`],
      [S.planned, visit.planned_on],
      [S.kind, `${visit.institution.kind_label} · ${visit.institution.township} · ${visit.institution.area_label}`],
      [S.address, visit.institution.address],
      [S.contact, [visit.institution.contact_person, visit.institution.contact_phone].filter(Boolean).join(" ")],
    ];
    return rows.filter(([, value]) => value).flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: value })]);
  }

  function thumbs(list) {
    // Tapping a thumbnail removes that photo before it is saved.
    return list.map((photo, index) =>
      el("img", { src: photo.thumb, alt: photo.name, "data-index": String(index), className: "thumb", title: S.removePhoto })
    );
  }

  function renderVisit(visit, ops) {
    document.getElementById("visit-title").textContent = visit.institution.name;
    document.getElementById("visit-facts").replaceChildren(...facts(visit));
    const form = document.getElementById("checklist-form");
    form.dataset.visit = String(visit.id);
    const pending = ops.find((op) => op.kind === "checklist" && op.visit === visit.id);
    const conflict = document.getElementById("visit-conflict");
    conflict.hidden = !(pending && pending.state !== "pending");
    conflict.textContent = pending && pending.errors ? pending.errors.join(" ") : "";
    const planned = visit.state === "planned";
    form.hidden = !planned;
    document.getElementById("visit-done").hidden = planned;
    document.getElementById("visit-issues").replaceChildren(
      ...visit.issues.map((issue) => el("li", { text: `${issue.number} ${issue.title} · ${issue.stage_label}` }))
    );
    if (form.dataset.rendered !== `${visit.id}:${visit.version}:${pending ? pending.uuid : ""}`) {
      form.dataset.rendered = `${visit.id}:${visit.version}:${pending ? pending.uuid : ""}`;
      draftPhotos = {};
      const saved = {};
      if (pending) {
        pending.answers.forEach((entry) => {
          saved[entry.answer] = entry;
        });
        pending.photos.forEach((photo) => {
          (draftPhotos[photo.answer] = draftPhotos[photo.answer] || []).push(photo);
        });
      }
      const items = document.getElementById("checklist-items");
      items.replaceChildren(
        ...visit.items.map((item, index) => {
          const value = saved[item.answer] || { result: item.result, note: item.note };
          const name = `result-${item.answer}`;
          const choice = (result, label) =>
            el(
              "label",
              { className: `choice choice--${result}` },
              el("input", { type: "radio", name, value: result, checked: value.result === result, disabled: !planned }),
              el("span", { text: label })
            );
          return el(
            "fieldset",
            { className: "item", "data-answer": String(item.answer) },
            el("legend", {}, `${index + 1}. ${item.text}`, el("small", { text: item.category })),
            el("div", { className: "choices" }, choice("pass", S.pass), choice("fail", S.fail), choice("na", S.na)),
            el("label", {}, S.note, el("textarea", { name: `note-${item.answer}`, maxlength: "500", rows: "2", disabled: !planned }, value.note || "")),
            planned
              ? el(
                  "label",
                  { className: "photo-input" },
                  S.photo,
                  el("input", { type: "file", accept: "image/jpeg,image/png,image/webp", capture: "environment", multiple: true, "data-photos": String(item.answer) })
                )
              : null,
            el("div", { className: "thumbs", "data-thumbs": String(item.answer) }, thumbs(draftPhotos[item.answer] || []))
          );
        })
      );
    }
    const issueForm = document.getElementById("issue-form");
    issueForm.dataset.visit = String(visit.id);
    const category = issueForm.elements.category;
    if (!category.options.length && snapshot) {
      snapshot.categories.forEach((c) => category.append(el("option", { value: String(c.id), text: c.name })));
      snapshot.severities.forEach((s) => issueForm.elements.severity.append(el("option", { value: s.value, text: s.label })));
    }
  }

  function renderQueue(ops) {
    const list = document.getElementById("queue-list");
    document.getElementById("queue-empty").hidden = ops.length > 0;
    list.replaceChildren(
      ...ops.map((op) => {
        const state = { pending: S.waiting, conflict: S.conflict, invalid: S.invalid }[op.state];
        const what = op.kind === "checklist" ? S.checklist + (op.complete ? S.complete : "") : `${S.issue}：${op.title}`;
        return el(
          "li",
          { className: `op op--${op.state}`, "data-uuid": op.uuid },
          el("strong", { text: op.label }),
          el("span", { text: `${what} · ${op.photos.length} ${S.photos} · ${state}` }),
          ...(op.errors || []).map((message) => el("p", { className: "op__error", text: message })),
          op.state !== "pending" ? el("button", { type: "button", className: "button button--secondary", "data-discard": op.uuid, text: S.discard }) : null
        );
      })
    );
  }

  // --- Photos --------------------------------------------------------------------------------------

  function drawScaled(bitmap, side) {
    const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  /* Resize on the phone: a long side of at most 1600 px, re-encoded as JPEG (which also drops the
   * camera's EXIF; the server strips it again whatever arrives). */
  async function resize(file, index) {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const canvas = drawScaled(bitmap, MAX_SIDE);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    const thumb = drawScaled(bitmap, THUMB_SIDE).toDataURL("image/jpeg", 0.7);
    if (bitmap.close) {
      bitmap.close();
    }
    return { blob, thumb, name: `photo-${Date.now()}-${index}.jpg` };
  }

  async function takePhotos(input, key, thumbsBox) {
    const files = Array.from(input.files || []);
    for (let index = 0; index < files.length; index += 1) {
      try {
        const photo = await resize(files[index], index);
        if (key !== "issue") {
          photo.answer = Number(key);
        }
        (draftPhotos[key] = draftPhotos[key] || []).push(photo);
      } catch (error) {
        notice(`${files[index].name}: ${error}`);
      }
    }
    input.value = "";
    thumbsBox.replaceChildren(...thumbs(draftPhotos[key] || []));
  }

  // --- Saving to the queue -------------------------------------------------------------------------

  async function saveChecklist(form, complete) {
    const visit = findVisit(Number(form.dataset.visit));
    if (!visit) {
      return;
    }
    const answers = visit.items.map((item) => {
      const checked = form.querySelector(`input[name="result-${item.answer}"]:checked`);
      return {
        answer: item.answer,
        result: checked ? checked.value : "",
        note: form.elements[`note-${item.answer}`].value.trim(),
      };
    });
    const photos = visit.items.flatMap((item) => draftPhotos[item.answer] || []);
    const ops = await myOps();
    // One queued checklist per visit: the form started from it, so the new one replaces it (and gets
    // a new UUID, so it can never be mistaken for a copy already applied).
    for (const old of ops.filter((op) => op.kind === "checklist" && op.visit === visit.id)) {
      await deleteOp(old.uuid);
    }
    await putOp({
      uuid: newUuid(),
      user: USER,
      kind: "checklist",
      visit: visit.id,
      version: visit.version,
      label: visit.institution.name,
      answers,
      photos,
      complete,
      state: "pending",
      created: Date.now(),
    });
    notice(S.saved);
    await render();
  }

  async function saveIssue(form) {
    const visit = findVisit(Number(form.dataset.visit));
    const title = form.elements.title.value.trim();
    if (!visit || !title || !form.elements.category.value) {
      notice(S.needTitle);
      return;
    }
    await putOp({
      uuid: newUuid(),
      user: USER,
      kind: "issue",
      visit: visit.id,
      label: visit.institution.name,
      title,
      category: Number(form.elements.category.value),
      severity: form.elements.severity.value,
      description: form.elements.description.value.trim(),
      found_on: localDate(),
      photos: draftPhotos.issue || [],
      state: "pending",
      created: Date.now(),
    });
    draftPhotos.issue = [];
    form.reset();
    form.querySelector("[data-thumbs]").replaceChildren();
    document.getElementById("issue-details").open = false;
    notice(S.issueSaved);
    await render();
  }

  // --- Sync ----------------------------------------------------------------------------------------

  function payloadOf(op) {
    if (op.kind === "checklist") {
      return { uuid: op.uuid, kind: op.kind, visit: op.visit, version: op.version, answers: op.answers, complete: op.complete };
    }
    return {
      uuid: op.uuid,
      kind: op.kind,
      visit: op.visit,
      title: op.title,
      category: op.category,
      severity: op.severity,
      description: op.description,
      found_on: op.found_on,
    };
  }

  async function sync() {
    if (syncing) {
      return;
    }
    syncing = true;
    const button = document.getElementById("sync-button");
    button.disabled = true;
    let message = S.synced;
    try {
      if (!(await loadData()) || !navigator.onLine) {
        message = snapshot ? S.syncOffline : document.getElementById("notice").textContent;
        return;
      }
      for (const op of await myOps()) {
        if (op.state !== "pending") {
          continue;
        }
        const form = new FormData();
        form.append("payload", JSON.stringify(payloadOf(op)));
        op.photos.forEach((photo) => {
          form.append(op.kind === "checklist" ? `photos-${photo.answer}` : "photos", photo.blob, photo.name);
        });
        let response;
        try {
          response = await fetch(body.dataset.syncUrl, {
            method: "POST",
            body: form,
            credentials: "same-origin",
            headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
          });
        } catch (error) {
          message = S.syncOffline;
          return;
        }
        if (!(response.headers.get("Content-Type") || "").includes("application/json")) {
          message = S.syncRefused;
          return;
        }
        const result = await response.json();
        if (response.ok) {
          await deleteOp(op.uuid);
          continue;
        }
        if (response.status === 401) {
          message = S.syncLogin;
          return;
        }
        if (response.status >= 500) {
          // A passing fault on the server: the operation stays queued for the next sync.
          message = result.message || S.syncRefused;
          return;
        }
        op.state = response.status === 409 ? "conflict" : "invalid";
        op.errors = (result.errors || []).map((error) => error.message);
        if (!op.errors.length && result.message) {
          op.errors = [result.message];
        }
        await putOp(op);
        message = "";
      }
      await loadData();
      if (!message) {
        window.location.hash = "#queue";
      }
    } finally {
      syncing = false;
      button.disabled = false;
      notice(message);
      await render();
    }
  }

  // --- Wiring --------------------------------------------------------------------------------------

  function showNetwork() {
    const status = document.getElementById("net-status");
    status.textContent = navigator.onLine ? status.dataset.online : status.dataset.offline;
    status.classList.toggle("bar__net--offline", !navigator.onLine);
  }

  document.addEventListener("change", (event) => {
    const input = event.target;
    if (input.matches("input[type=file][data-photos]")) {
      takePhotos(input, input.dataset.photos, input.closest("fieldset").querySelector("[data-thumbs]"));
    } else if (input.matches("#issue-form input[type=file]")) {
      takePhotos(input, "issue", document.querySelector("#issue-form [data-thumbs]"));
    }
  });

  document.addEventListener("click", (event) => {
    const image = event.target;
    const box = image.matches("img.thumb") ? image.closest("[data-thumbs]") : null;
    if (!box || !box.closest("form")) {
      return;
    }
    const key = box.dataset.thumbs || "issue";
    (draftPhotos[key] || []).splice(Number(image.dataset.index), 1);
    box.replaceChildren(...thumbs(draftPhotos[key] || []));
  });

  document.getElementById("checklist-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const complete = event.submitter && event.submitter.name === "complete";
    saveChecklist(event.target, complete);
  });

  document.getElementById("issue-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveIssue(event.target);
  });

  document.getElementById("queue-list").addEventListener("click", async (event) => {
    const uuid = event.target.dataset.discard;
    if (uuid && window.confirm(S.discardConfirm)) {
      await deleteOp(uuid);
      await render();
    }
  });

  document.getElementById("sync-button").addEventListener("click", sync);

  document.getElementById("logout-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const pending = (await myOps()).length;
    if (pending && !window.confirm(S.logoutPending)) {
      return;
    }
    await forgetCachedData();
    event.target.submit();
  });

  window.addEventListener("hashchange", () => {
    notice("");
    render();
  });
  window.addEventListener("online", showNetwork);
  window.addEventListener("offline", showNetwork);

  async function start() {
    showNetwork();
    if ("serviceWorker" in navigator) {
      try {
        await navigator.serviceWorker.register(body.dataset.swUrl, { scope: body.dataset.scope });
      } catch (error) {
        // The page still works online without it.
      }
    }
    await loadData();
    await render();
    body.dataset.ready = "1";
  }

  start();
})();
