// What this browser remembers between visits: the name it goes by, the
// host tokens of the séances it created (only they can end one) and its seat
// in each séance it joined, so a reload rejoins as the same participant.

const KEY = "seance:v1";
const KEEP = 40; // séances remembered; older ones are forgotten

function read() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || "{}");
    return v && typeof v === "object" ? v : {};
  } catch {
    return {};
  }
}

function write(v) {
  try {
    localStorage.setItem(KEY, JSON.stringify(v));
  } catch {
    // Private mode or a full quota: the app works without memory.
  }
}

function prune(map) {
  const ids = Object.keys(map).sort((a, b) => (map[b].at || 0) - (map[a].at || 0));
  for (const id of ids.slice(KEEP)) delete map[id];
  return map;
}

function update(field, id, value) {
  const v = read();
  const map = v[field] || {};
  if (value == null) delete map[id];
  else map[id] = { ...value, at: Date.now() };
  v[field] = prune(map);
  write(v);
}

export const store = {
  name: () => read().name || "",
  setName(name) {
    const v = read();
    v.name = name;
    write(v);
  },
  hostToken: (id) => (read().hosts || {})[id]?.token || "",
  setHostToken: (id, token, name) => update("hosts", id, token ? { token, name } : null),
  seat: (id) => (read().seats || {})[id] || null,
  setSeat: (id, seat) => update("seats", id, seat),
  clearSeat: (id) => update("seats", id, null),
  hosted() {
    const hosts = read().hosts || {};
    return Object.entries(hosts)
      .map(([id, v]) => ({ id, name: v.name || "A séance", at: v.at || 0 }))
      .sort((a, b) => b.at - a.at);
  },
};
