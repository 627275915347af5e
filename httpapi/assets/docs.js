"use strict";
// Renders the OpenAPI document with the DOM only, so the page works offline.
const el = (tag, attrs = {}, ...kids) => {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  for (const kid of kids) n.append(kid);
  return n;
};
const resolve = (doc, s) => {
  if (s && s.$ref) return resolve(doc, doc.components.schemas[s.$ref.split("/").pop()]);
  return s;
};
fetch("/openapi.json").then(r => r.json()).then(doc => {
  document.getElementById("intro").textContent = doc.info.description;
  const ops = document.getElementById("ops");
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const d = el("details", {id: op.operationId});
      d.append(el("summary", {}, el("span", {class: "m"}, method.toUpperCase()), path, el("span", {class: "s"}, op.summary)));
      if (op.parameters) {
        const t = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "description")));
        for (const p of op.parameters) t.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in), el("td", {}, p.description || "")));
        d.append(t);
      }
      if (op.requestBody) {
        const s = resolve(doc, op.requestBody.content["application/json"].schema);
        d.append(el("p", {}, "Body:"), el("pre", {}, JSON.stringify(s, null, 2)));
      }
      const t = el("table", {}, el("tr", {}, el("th", {}, "status"), el("th", {}, "meaning")));
      for (const [code, r] of Object.entries(op.responses)) t.append(el("tr", {}, el("td", {}, code), el("td", {}, r.description)));
      d.append(t);
      ops.append(d);
    }
  }
}).catch(err => { document.getElementById("intro").textContent = "Could not load the API document: " + err; });
