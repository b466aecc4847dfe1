/**
 * The status page: readable on a phone (one column) and on a 1024-pixel laptop (two or three).
 * Kept as text in a module, so that it travels inside dist/ with the code that serves it.
 */
export const STATUS_PAGE_CSS = `:root { color-scheme: light; --good: #1a7f37; --bad: #b42318; --warn-bg: #fff4d6; --card: #fff; --line: #d0d5dd; font-family: system-ui, sans-serif; }
body { margin: 0; background: #eef0f3; color: #1d2430; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; padding: 0.6rem 1rem; background: #1d2430; color: #fff; }
header h1 { font-size: 1.15rem; margin: 0; flex: 1 1 auto; }
header h1 small { font-weight: normal; opacity: 0.75; font-size: 0.8rem; }
header form { margin: 0; }
#connection { margin: 0; padding: 0.2rem 0.6rem; border-radius: 4px; font-size: 0.85rem; }
#connection.live { background: #1a3d26; }
#connection.down { background: var(--bad); font-weight: bold; }
main#status { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 0.8rem; padding: 0.8rem; }
main.stale { opacity: 0.55; filter: grayscale(0.6); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem 0.9rem; min-width: 0; }
.card.wide { grid-column: 1 / -1; }
h2 { font-size: 1rem; margin: 0 0 0.4rem; }
h3 { font-size: 0.92rem; margin: 0 0 0.3rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 0.8rem; margin: 0; }
dt { color: #5b6473; }
dd { margin: 0; overflow-wrap: anywhere; }
.good { color: var(--good); }
.bad, dd.bad { color: var(--bad); }
.warning { background: var(--warn-bg); border-left: 4px solid #e8a100; padding: 0.35rem 0.6rem; margin: 0.4rem 0; }
progress { width: min(100%, 24rem); height: 1.1rem; vertical-align: middle; }
.bays { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 0.6rem; margin-top: 0.5rem; }
.bay-card { border: 1px solid var(--line); border-radius: 4px; padding: 0.4rem 0.6rem; }
.bay-card.bad { border-color: var(--bad); }
ol.tickets { list-style: none; margin: 0; padding: 0; }
.ticket { border-top: 1px solid var(--line); padding: 0.4rem 0; }
.ticket p { margin: 0.2rem 0 0; }
.ticket .severity { font-weight: bold; font-size: 0.75rem; padding: 0.05rem 0.35rem; border-radius: 3px; background: #d0d5dd; }
.ticket.sev-error .severity, .ticket.sev-critical .severity { background: var(--bad); color: #fff; }
.ticket.sev-warning .severity { background: #e8a100; }
.ticket time { color: #5b6473; font-size: 0.85rem; }
table.keys { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
table.keys th, table.keys td { text-align: left; padding: 0.25rem 0.4rem; border-bottom: 1px solid var(--line); }
svg.usage { width: 8rem; height: 0.8rem; vertical-align: middle; }
.usage-free { fill: #e4e7ec; }
.usage-used { fill: #4c8bf5; }
.usage-used.over { fill: var(--bad); }
.usage-line { stroke: #1d2430; stroke-width: 1.2; }
@media (max-width: 560px) { table.keys th:nth-child(3), table.keys td:nth-child(3) { display: none; } }

/* The front panel. */
svg.front-panel { width: 100%; height: auto; display: block; }
svg.front-panel.narrow { display: none; max-width: 32rem; }
@media (max-width: 600px) { svg.front-panel.wide { display: none; } svg.front-panel.narrow { display: block; } }
.chassis { fill: #2b2f36; stroke: #11151b; stroke-width: 2; }
.bay-disk { fill: #444a53; stroke: #70777f; }
.bay-empty { fill: #121417; stroke: #70777f; stroke-dasharray: 4 3; }
.grille { stroke: #2f343a; stroke-width: 5; }
.cd-slot { fill: #17191d; stroke: #70777f; }
.cd-slot.absent { opacity: 0.3; }
.panel-label { fill: #c9ced6; font-size: 13px; font-family: system-ui, sans-serif; }
.led { stroke: #0b0d10; stroke-width: 1.5; fill: #3a3f45; }
.led.green.on, .led.green.blink, .led.green.flicker { fill: #45f06a; filter: drop-shadow(0 0 4px #45f06a); }
.led.amber.on, .led.amber.blink, .led.amber.flicker { fill: #ffb020; filter: drop-shadow(0 0 4px #ffb020); }
/* Blink: the period comes from data-period (set by the script); a slow blink is a short flash, a fast one half on, half off. */
.led.blink { animation-duration: 1s; animation-iteration-count: infinite; animation-timing-function: step-end; }
.led.blink-even { animation-name: led-half; }
.led.blink-flash { animation-name: led-flash; }
/* Flicker: so fast it looks on, with a shimmer. */
.led.flicker { animation: led-flicker 90ms steps(1, end) infinite; }
@keyframes led-half { 0% { fill-opacity: 1; } 50% { fill-opacity: 0.12; } }
@keyframes led-flash { 0% { fill-opacity: 1; } 3% { fill-opacity: 0.12; } }
@keyframes led-flicker { 0% { fill-opacity: 1; } 50% { fill-opacity: 0.6; } }
/* qkmd gone: the LEDs stand still, since no one knows what they do now. */
main.stale .led { animation: none; }

main.login { max-width: 24rem; margin: 3rem auto; padding: 0 1rem; }
main.login label { display: block; margin: 0.5rem 0; }
main.login input { display: block; width: 100%; box-sizing: border-box; padding: 0.4rem; margin-top: 0.2rem; }
main.login .or { text-align: center; color: #5b6473; margin: 0.2rem 0; }
button { padding: 0.35rem 0.9rem; }
h3.post-heading { margin-top: 0.7rem; }
`;
