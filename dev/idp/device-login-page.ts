import { escapeHtml } from './http.js';

/** The page behind `verification_uri`: an operator types the code and the account's credentials. */
export function deviceLoginPage(message?: string): string {
  const note = message ? `<p role="status">${escapeHtml(message)}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local sign-in</title></head>
<body>
<h1>Local identity provider: device sign-in</h1>
${note}
<form method="post">
<label>Code <input name="user_code" autocomplete="off" required></label><br>
<label>User name <input name="username" autocomplete="username" required></label><br>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label><br>
<button type="submit">Sign in</button>
</form>
</body></html>`;
}
