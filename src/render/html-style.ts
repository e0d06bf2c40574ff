/*
 * report.html's one stylesheet, inlined: the page must render from a file: URL or a CI artifact viewer with no request
 * leaving it. System fonts only (no web font to fetch), colours that keep dark text readable (the marks and words in
 * every cell carry the meaning; colour repeats it), and a print stylesheet that keeps the heat map's colours and drops
 * the navigation. Sections and the cell table's row groups are laid out only when they come into view
 * (content-visibility: auto; links, find in page and printing still reach them), which is what keeps a page of
 * 20,000 results rendering in well under two seconds.
 */
export const HTML_STYLE = `
:root{--fg:#1a1a1a;--muted:#5a5a5a;--line:#d4d4d4;--bg:#fff;--soft:#f5f6f8;--link:#0b57d0;
--pass:#d8f0d8;--pass-fg:#14532d;--fail:#f7c3c3;--fail-fg:#7f1d1d;--error:#e4d3f6;--error-fg:#4c1d95;
--unsupported:#fbe6ad;--unsupported-fg:#6b3e09;--waived:#cfe2fb;--waived-fg:#1e3a8a;--skip:#e9e9e9;--skip-fg:#3d3d3d}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--fg);background:var(--bg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif}
main,nav.toc,footer{max-width:1280px;margin:0 auto;padding:0 24px}
a{color:var(--link)}
a:focus-visible{outline:3px solid #f59e0b;outline-offset:1px}
h1{font-size:26px;margin:0}
h2{font-size:20px;margin:32px 0 10px;padding-top:8px;border-top:1px solid var(--line)}
h3{font-size:16px;margin:22px 0 8px}
h4{font-size:14px;margin:0 0 6px;word-break:break-all}
p{margin:6px 0}
code,pre,.mono{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono","Liberation Mono",Menlo,Consolas,monospace;font-size:12.5px}
pre{background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:6px 8px;margin:4px 0 8px;white-space:pre-wrap;word-break:break-all}
.sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.muted{color:var(--muted)}
.skip-link{position:absolute;left:-9999px}
.skip-link:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:9}
header.verdict{color:#fff;padding:18px 24px 14px}
header.verdict>div{max-width:1232px;margin:0 auto}
header.verdict .kicker{margin:0 0 2px;font-size:12px;letter-spacing:.06em;text-transform:uppercase;opacity:.9}
header.verdict .sub{font-size:15px;margin:4px 0 8px;opacity:.95}
header.verdict ul{margin:6px 0 0;padding-left:20px}
header.verdict li{margin:2px 0;word-break:break-word}
.v-CERTIFIED{background:#166534}.v-NOT_CERTIFIED{background:#a61b1b}.v-INCOMPLETE{background:#92400e}
nav.toc ol{list-style:none;display:flex;flex-wrap:wrap;gap:4px 16px;padding:10px 0 0;margin:0}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:8px 32px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:3px 12px;margin:0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;word-break:break-word}
table{border-collapse:collapse;margin:6px 0 10px}
caption{text-align:left;font-weight:600;padding:4px 0;caption-side:top;white-space:nowrap}
th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}
thead th{background:var(--soft);position:sticky;top:0;z-index:1}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto;max-width:100%}
.badge{display:inline-block;border-radius:3px;padding:0 5px;font-size:12px;font-weight:600;white-space:nowrap}
.st-pass,.s-pass{background:var(--pass);color:var(--pass-fg)}
.st-fail,.s-fail{background:var(--fail);color:var(--fail-fg)}
.st-error,.st-crash,.st-timeout,.s-error{background:var(--error);color:var(--error-fg)}
.st-unsupported,.s-unsupported{background:var(--unsupported);color:var(--unsupported-fg)}
.st-waived,.s-waived{background:var(--waived);color:var(--waived-fg)}
.st-skip,.s-skip{background:var(--skip);color:var(--skip-fg)}
.s-none{background:#fff;color:#767676}
.legend .s-none{border:1px solid var(--line)}
.legend{display:flex;flex-wrap:wrap;gap:6px 12px;padding:0;margin:6px 0;list-style:none}
table.heat th[scope=row]{position:sticky;left:0;background:#fff;font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:12px;font-weight:400;white-space:nowrap}
table.heat td{padding:0;text-align:center;min-width:64px;font-size:12px;font-variant-numeric:tabular-nums}
table.heat td a{display:block;padding:3px 6px;color:inherit;text-decoration:none;font-weight:600}
table.heat td a:hover{text-decoration:underline}
table.heat td.s-none{color:#9a9a9a}
table.heat td.part{background-image:linear-gradient(135deg,rgba(255,255,255,.55) 25%,transparent 25%,transparent 50%,rgba(255,255,255,.55) 50%,rgba(255,255,255,.55) 75%,transparent 75%);background-size:8px 8px}
table.cells tbody th[scope=rowgroup]{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:12px;font-weight:400;background:#fff}
table.cells tr:target,article.case:target{outline:3px solid #f59e0b;outline-offset:-2px}
article.case{border:1px solid var(--line);border-left:5px solid var(--fail-fg);border-radius:4px;padding:8px 12px;margin:10px 0}
article.case.k-error,article.case.k-crash,article.case.k-timeout{border-left-color:var(--error-fg)}
article.case table{font-size:12.5px}
.hist{vertical-align:middle}
.idx{white-space:nowrap}
figure{margin:8px 0}

svg.chart{max-width:100%;height:auto;border:1px solid var(--line)}
main>section{content-visibility:auto;contain-intrinsic-size:auto 900px}
table.cells tbody{content-visibility:auto;contain-intrinsic-size:auto 60px}
footer{color:var(--muted);font-size:12px;padding:24px;border-top:1px solid var(--line);margin-top:32px}
@media (max-width:700px){main,nav.toc,footer{padding:0 10px}dl.facts{grid-template-columns:1fr}}
@media print{
body{font-size:11px}
main>section,table.cells tbody{content-visibility:visible}
nav.toc,.skip-link{display:none}
a{color:inherit;text-decoration:none}
a[href^="http"]::after{content:" (" attr(href) ")";font-weight:400}
code,pre,.mono{font-size:10px}
header.verdict,.badge,table.heat td,.v-CERTIFIED,.v-NOT_CERTIFIED,.v-INCOMPLETE,[class^=st-],[class^=s-]{-webkit-print-color-adjust:exact;print-color-adjust:exact}
thead th,table.heat th[scope=row]{position:static}
tr,article.case,svg{break-inside:avoid}
h2,h3{break-after:avoid}
.scroll{overflow:visible}
pre{white-space:pre-wrap}
}
`
  .trim()
  .replace(/\n/g, '');
