// Chinese (zh-CN) formatting of dates, sizes, durations, rates and remaining time.

const kDateTime = new Intl.DateTimeFormat('zh-CN', {
  year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false,
});
const kDate = new Intl.DateTimeFormat('zh-CN', { year: 'numeric', month: 'long', day: 'numeric' });

// Unix seconds (or a Date) -> "2026年11月30日 08:42"; 0 or missing -> "从未".
export function formatDateTime(t) {
  if (!t) return '从未';
  return kDateTime.format(t instanceof Date ? t : new Date(t * 1000));
}

// "2026-11-30" -> "2026年11月30日"; "" -> "—".
export function formatDay(ymd) {
  if (!ymd) return '—';
  const [y, m, d] = ymd.split('-').map(Number);
  return kDate.format(new Date(y, m - 1, d));
}

// "2026-11" -> "2026年11月".
export function formatMonth(ym) {
  const [y, m] = ym.split('-').map(Number);
  return `${y}年${m}月`;
}

// Days since unix seconds `t`, as words: "今天", "3天前".
export function formatAgo(t, now = Date.now() / 1000) {
  if (!t) return '从未联系';
  const days = Math.floor((now - t) / 86400);
  if (days <= 0) return '今天';
  return `${days}天前`;
}

// Bytes -> "1.5 MB" (1024-based, one decimal below 100).
export function formatSize(bytes) {
  if (bytes === null || bytes === undefined || Number.isNaN(bytes)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Math.max(0, bytes);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    ++i;
  }
  const digits = i === 0 || v >= 100 ? 0 : 1;
  return `${v.toFixed(digits)} ${units[i]}`;
}

// Bytes per second -> "1.2 MB/秒".
export function formatRate(bytesPerSecond) {
  return `${formatSize(bytesPerSecond)}/秒`;
}

// Seconds -> "1小时2分", "3分20秒", "45秒".
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (hours > 0) return `${hours}小时${minutes}分`;
  if (minutes > 0) return rest ? `${minutes}分${rest}秒` : `${minutes}分钟`;
  return `${rest}秒`;
}

// Remaining seconds -> "剩余约 3分20秒"; unknown -> "".
export function formatEta(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  return `剩余约 ${formatDuration(Math.max(1, seconds))}`;
}

// 0..1 -> "35%".
export function formatPercent(fraction) {
  return `${Math.round((fraction || 0) * 100)}%`;
}

// Today as "YYYY-MM-DD" in local time, optionally `days` later.
export function isoDay(days = 0, from = new Date()) {
  const d = new Date(from.getFullYear(), from.getMonth(), from.getDate() + days);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
