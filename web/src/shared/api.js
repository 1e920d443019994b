// The JSON API client every page uses: the bearer token (pasted once, or taken from a sign-in link
// "#token=..."), kept in localStorage; errors as ApiError with a message in Chinese.

const kTokenKey = 'lessonmesh.token';

export class ApiError extends Error {
  constructor(status, code, message, field = '') {
    super(message);
    this.status = status;  // HTTP status; 0 when the service could not be reached
    this.code = code;
    this.field = field;
  }
}

// A sign-in link ("/admin#token=XYZ") stores its token and leaves the address bar without it.
export function takeTokenFromLink() {
  const m = location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (!m) return false;
  setToken(decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search);
  return true;
}

export function token() {
  return localStorage.getItem(kTokenKey) || '';
}

export function setToken(value) {
  localStorage.setItem(kTokenKey, value.trim());
}

export function signOut() {
  localStorage.removeItem(kTokenKey);
}

// The Authorization header, when there is a token (the classroom page on the school LAN has none).
export function authHeaders() {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

const kStatusText = {
  400: '提交的内容有误',
  401: '令牌无效或已失效，请重新登录',
  403: '没有权限进行此操作',
  404: '找不到所请求的内容',
  409: '内容已存在',
  413: '内容太大',
  423: '正在处理中，请稍后再试',
  503: '服务暂时不可用，请稍后再试',
};

// The error of a failed response, from its JSON body ({"error": "...", "code", "field"} or
// {"error": {"message", "code", "field"}}).
export async function errorOf(res) {
  let body = {};
  try {
    body = await res.json();
  } catch {
    // not JSON
  }
  const e = typeof body.error === 'object' && body.error ? body.error : body;
  const detail = typeof e.error === 'string' ? e.error : e.message || '';
  const summary = kStatusText[res.status] || `请求失败（${res.status}）`;
  const field = e.field || '';
  const message = [summary, field && `字段 ${field}`, detail].filter(Boolean).join('：');
  return new ApiError(res.status, e.code || '', message, field);
}

// fetch() with the bearer token. `body` is sent as JSON. Returns the parsed JSON, or the text when
// `as` is 'text', or a Blob when it is 'blob' (a PDF). Throws ApiError.
export async function api(path, { method = 'GET', body, as = 'json', signal } = {}) {
  const headers = authHeaders();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'unreachable', '无法连接服务器，请检查网络后重试');
  }
  if (!res.ok) throw await errorOf(res);
  if (as === 'text') return res.text();
  if (as === 'blob') return res.blob();
  if (res.status === 204) return null;
  return res.json();
}
