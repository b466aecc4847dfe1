import type { StatusDocument } from '../status/document.js';
import { esc } from './html.js';
import { statusBody } from './status-view.js';

function shell(title: string, body: string, script: boolean): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title><link rel="stylesheet" href="/assets/status-page.css">`,
    script ? '<script type="module" src="/assets/status-page.js"></script>' : '',
    `</head><body>${body}</body></html>`,
  ].join('');
}

/** The page once logged in: a header that says whether qkmd is still answering, and the body the event stream replaces. */
export function statusPage(doc: StatusDocument): string {
  const s = doc.server;
  return shell(
    `qkm ${s.serial}: status`,
    [
      '<header>',
      `<h1>qkm <span id="serial">${esc(s.serial)}</span> <small>${esc(s.hostname)}, qkm ${esc(s.version)}, ${esc(s.profile)} hardware</small></h1>`,
      `<p id="connection" class="live" role="status">Live: updated <time id="updated">${esc(doc.at.slice(11, 19))}</time> UTC</p>`,
      '<form method="post" action="/logout"><button type="submit">Log out</button></form>',
      '</header>',
      `<main id="status">${statusBody(doc)}</main>`,
    ].join(''),
    true,
  );
}

/** The login form: akmadmin's password, or a viewer token. `problem` is the one sentence about the last try. */
export function loginPage(problem?: string): string {
  return shell(
    'qkm: log in',
    [
      '<main class="login"><h1>qkm status</h1>',
      problem ? `<p class="warning" role="alert">${esc(problem)}</p>` : '',
      '<form method="post" action="/login" class="card">',
      '<label>Password of akmadmin <input type="password" name="password" autocomplete="current-password"></label>',
      '<p class="or">or</p>',
      '<label>Viewer token <input type="password" name="token" autocomplete="off"></label>',
      '<button type="submit">Log in</button>',
      '</form></main>',
    ].join(''),
    false,
  );
}
