// The REST side of the contract. Every answer is an envelope
// {success, data, meta} or {success: false, error: {code, message, details}}.

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

async function call(method, path, { body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "NETWORK", "The spirits cannot be reached. Check your connection and try again.");
  }
  let env = null;
  try {
    env = await res.json();
  } catch {
    // Not JSON: a proxy's error page, say. The status still tells.
  }
  if (!res.ok || !env || env.success === false) {
    const e = (env && env.error) || {};
    throw new ApiError(res.status, e.code || `HTTP_${res.status}`, e.message || res.statusText || "Something went wrong.", e.details || {});
  }
  return env;
}

const sid = (id) => encodeURIComponent(id);

export const api = {
  spirits: async () => (await call("GET", "/api/spirits")).data,
  create: async (name, maxUsers, spirit) =>
    (await call("POST", "/api/sessions", { body: { name, max_users: maxUsers, spirit } })).data,
  session: async (id) => (await call("GET", `/api/sessions/${sid(id)}`)).data,
  join: async (id, name) => (await call("POST", `/api/sessions/${sid(id)}/join`, { body: { name } })).data,
  end: async (id, token) => (await call("DELETE", `/api/sessions/${sid(id)}`, { token })).data,
  remove: async (id, participantId, token) =>
    (await call("DELETE", `/api/sessions/${sid(id)}/participants/${encodeURIComponent(participantId)}`, { token })).data,
  history: async (id, afterSeq, limit) =>
    (await call("GET", `/api/sessions/${sid(id)}/history?after_seq=${afterSeq}&limit=${limit}`)).data,
};

export const transcriptURL = (id) => `/api/sessions/${sid(id)}/transcript?format=md`;
export const shareURL = (id) => `${location.origin}/session/${sid(id)}`;

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** sessionIdFrom finds a séance id in a pasted link or code. */
export function sessionIdFrom(text) {
  const m = UUID.exec(String(text || ""));
  return m ? m[0].toLowerCase() : "";
}
