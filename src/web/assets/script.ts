/**
 * The status page's only script: it takes the body qkmd sends at each change (server-sent
 * events), keeps the blinking LEDs on the manual's periods in step with each other, and
 * says plainly when qkmd stops answering. Served by qkmd itself; no framework, no CDN.
 *
 * Kept as text in a module, so that it travels inside dist/ with the code that serves it
 * (an update bundle carries dist/, not src/). Plain ES2022 for any current browser;
 * no template literals, so it reads the same inside this one.
 */
export const STATUS_PAGE_JS = `const main = document.getElementById('status');
const connection = document.getElementById('connection');
/** qkmd sends a ping every 10 s; nothing for this long means it is not answering. */
const SILENT_MS = 25_000;
let lastHeard = Date.now();
let source;

function time(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

function say(live, words) {
  connection.className = live ? 'live' : 'down';
  connection.textContent = words;
  main.classList.toggle('stale', !live);
}

/** Every blink of one period shares one phase (the manual: the bays' activity LEDs blink together), across redraws too. */
function keepLedsInStep() {
  for (const led of document.querySelectorAll('.led.blink')) {
    const period = Number(led.dataset.period);
    if (!(period > 0)) continue;
    led.style.animationDuration = period + 'ms';
    led.style.animationDelay = -(Date.now() % period) + 'ms';
  }
}

function heard() {
  lastHeard = Date.now();
  say(true, 'Live: updated ' + time(lastHeard) + ' UTC');
}

function lost() {
  say(false, 'qkmd is not reachable since ' + time(lastHeard) + ' UTC: what you see is how the box was then, not now. Trying again…');
}

async function loggedOut() {
  try {
    const r = await fetch('/status.json', { credentials: 'same-origin' });
    return r.status === 401;
  } catch {
    return false;
  }
}

function connect() {
  source = new EventSource('/events');
  source.addEventListener('status', (e) => {
    const m = JSON.parse(e.data);
    main.innerHTML = m.html;
    keepLedsInStep();
    heard();
  });
  source.addEventListener('ping', heard);
  source.addEventListener('error', async () => {
    lost();
    if (source.readyState !== EventSource.CLOSED) return; // the browser tries again by itself
    if (await loggedOut()) {
      window.location.assign('/login');
      return;
    }
    setTimeout(connect, 3000);
  });
}

setInterval(() => {
  if (Date.now() - lastHeard > SILENT_MS) lost();
}, 5000);
keepLedsInStep();
connect();
`;
