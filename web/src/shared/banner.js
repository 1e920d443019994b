// The one error/notice banner at the top of every page (role="alert", announced by screen
// readers). Pages call showError(e) with an ApiError or any Error, showNotice(text) for good news.
import { h } from './dom.js';

function banner() {
  let el = document.getElementById('banner');
  if (!el) {
    el = h('div', { id: 'banner', class: 'banner', role: 'alert', 'aria-live': 'assertive', hidden: true });
    document.body.prepend(el);
  }
  return el;
}

function show(kind, text) {
  const el = banner();
  el.className = `banner ${kind}`;
  el.replaceChildren(
    h('span', { class: 'banner-text' }, text),
    h('button', { type: 'button', class: 'banner-close', 'aria-label': '关闭提示', onclick: clearBanner }, '×'),
  );
  el.hidden = false;
}

export function showError(error) {
  const text = error && error.message ? error.message : String(error);
  show('error', text);
}

export function showNotice(text) {
  show('notice', text);
}

export function clearBanner() {
  banner().hidden = true;
}

// Runs `fn`, showing its error in the banner instead of throwing.
export async function guarded(fn) {
  try {
    return await fn();
  } catch (e) {
    showError(e);
    return undefined;
  }
}
