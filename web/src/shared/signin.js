// Sign-in for every page: a token taken from a sign-in link (#token=...) or pasted once, kept in
// localStorage. `check` proves the token (one API call); a refused token shows the form again.
import { ApiError, setToken, signOut, takeTokenFromLink, token } from './api.js';
import { clearBanner, showError } from './banner.js';
import { fill, h } from './dom.js';

// Calls `onSignedIn(checkResult)` once a token works. `who` names the token's holder for the form
// ("教师", "管理员"). Returns a sign-out function.
export function signIn(container, { who, check, onSignedIn }) {
  takeTokenFromLink();
  const showForm = (message) => {
    const input = h('input', {
      id: 'token-input', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false',
      'aria-describedby': 'token-help',
    });
    const form = h('form', {
      class: 'card signin',
      onsubmit: async (e) => {
        e.preventDefault();
        setToken(input.value);
        await attempt();
      },
    },
    h('h2', {}, `${who}登录`),
    h('p', { id: 'token-help' }, `请粘贴${who}令牌（由管理员发给您），或直接打开管理员发来的登录链接。令牌只保存在本机浏览器中。`),
    h('label', { for: 'token-input' }, '令牌'),
    input,
    message && h('p', { class: 'field-error', role: 'alert' }, message),
    h('button', { type: 'submit', class: 'primary' }, '登录'));
    fill(container, form);
    input.focus();
  };
  const attempt = async () => {
    if (!token()) return showForm('');
    try {
      const result = await check();
      clearBanner();
      onSignedIn(result);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        signOut();
        showForm(e.status === 401 ? '令牌无效，请检查后重新粘贴。' : `此令牌不是${who}令牌。`);
      } else {
        showError(e);
        showForm('');
      }
    }
  };
  attempt();
  return () => {
    signOut();
    location.reload();
  };
}
