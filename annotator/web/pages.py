"""The HTML the browser mode serves around the app: sign-in, the app page, and the pages
that say why something was refused. Every value is HTML-escaped; no page runs an inline
script (the Content-Security-Policy forbids it), so all behaviour is in ``assets/annotator.js``.
"""

from __future__ import annotations

from html import escape

STYLE = """
body { margin: 0; background: #0c181f; color: #e8eef2; font: 16px/1.5 system-ui, sans-serif; }
main.card { max-width: 28rem; margin: 12vh auto; padding: 2rem 2.25rem; background: #12232d;
            border-radius: 8px; box-shadow: 0 8px 32px rgba(0, 0, 0, .4); }
h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
p.sub { margin: 0 0 1.5rem; color: #9fb3c0; }
label { display: block; margin: 1rem 0 .3rem; font-weight: 600; }
input { box-sizing: border-box; width: 100%; padding: .6rem .7rem; font: inherit; color: inherit;
        background: #0c181f; border: 1px solid #35505f; border-radius: 4px; }
input:focus { outline: 2px solid #6cb6ff; border-color: transparent; }
button { margin-top: 1.5rem; padding: .65rem 1.4rem; font: inherit; font-weight: 600; color: #fff;
         background: #5e0ba7; border: 0; border-radius: 4px; cursor: pointer; }
button:hover { background: #7a2bc4; }
button.quiet { background: #2a3f4c; }
p.error { padding: .6rem .8rem; background: #4a1d24; border-left: 4px solid #ff6b7d; border-radius: 4px; }
p.note { color: #9fb3c0; font-size: .9rem; }
code { font-size: .95em; }
"""


def page(title: str, body: str, *, script: bool = False) -> str:
    scripts = '<script src="assets/annotator.js"></script>' if script else ""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)}</title><link rel="stylesheet" href="assets/page.css">{scripts}</head>'
            f"<body>{body}</body></html>")


def sign_in(title: str, *, error: str = "", name: str = "", only: str | None = None) -> str:
    """The sign-in form. ``name`` is what the person typed before (never a server account)."""
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    who = (f"This server is for {escape(only)} only." if only
           else "Sign in with your annotator name and the access code you were given.")
    return page(f"Sign in · {title}", f"""
<main class="card">
  <h1>{escape(title)}</h1>
  <p class="sub">{who}</p>
  {problem}
  <form method="post" action="sign-in" autocomplete="off">
    <label for="name">Name</label>
    <input id="name" name="name" value="{escape(name)}" required maxlength="64" autocapitalize="off"
           spellcheck="false" autofocus>
    <label for="code">Access code</label>
    <input id="code" name="code" type="password" required maxlength="64" autocapitalize="characters"
           spellcheck="false" placeholder="XXXX-XXXX-XXXX">
    <button type="submit">Sign in</button>
  </form>
  <p class="note">No code? Ask the researcher running this study for one
  (<code>annotator annotators add NAME</code>).</p>
</main>""", script=True)


def notice(title: str, heading: str, message: str, *, sign_out: bool = False, retry: bool = False) -> str:
    """A page that says why the app is not shown (and what to do)."""
    buttons = ""
    if retry:
        buttons += '<form method="get" action="./"><button type="submit">Try again</button></form>'
    if sign_out:
        buttons += '<form method="post" action="sign-out"><button class="quiet" type="submit">Sign out</button></form>'
    return page(f"{heading} · {title}", f"""
<main class="card">
  <h1>{escape(heading)}</h1>
  <p>{escape(message)}</p>
  {buttons}
</main>""")


def app_page(title: str, name: str, font_size: int = 16) -> str:
    """The page holding the terminal; ``assets/annotator.js`` points it at this origin's socket."""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{escape(title)}</title>
<link rel="stylesheet" href="static/css/xterm.css">
<link rel="stylesheet" href="assets/app.css">
<script src="assets/annotator.js"></script>
</head><body>
<main class="card busy" hidden><h1>Already open</h1><p id="busy-message"></p>
  <form method="get" action="./"><button type="submit">Try again</button></form>
  <form method="post" action="sign-out"><button class="quiet" type="submit">Sign out</button></form>
</main>
<div class="closed-dialog" role="dialog">
  <div class="intro"><p>Session ended. Your labels are saved.</p>
    <form method="get" action="./"><button type="submit">Continue labelling</button></form>
    <form method="post" action="sign-out"><button class="quiet" type="submit">Sign out ({escape(name)})</button></form>
  </div>
</div>
<div id="terminal" class="textual-terminal" data-session-websocket-url="" data-font-size="{int(font_size)}"></div>
</body></html>"""


APP_CSS = """
body { margin: 0; background: #0c181f; font-family: system-ui, sans-serif; }
body .textual-terminal { opacity: 0; transition: opacity .3s ease-out; }
body.-first-byte .textual-terminal { opacity: 1; }
.closed-dialog { display: none; position: absolute; inset: 0; z-index: 10; align-items: center;
                 justify-content: center; background: #0c181f; }
body.-closed .closed-dialog { display: flex; }
.intro { padding: 2rem 2.5rem; color: #e8eef2; background: #12232d; border-radius: 8px; text-align: center; }
.intro button { margin: .5rem; padding: .65rem 1.4rem; font: inherit; font-weight: 600; color: #fff;
                background: #5e0ba7; border: 0; border-radius: 4px; cursor: pointer; }
.intro button.quiet { background: #2a3f4c; }
main.card { max-width: 30rem; margin: 12vh auto; padding: 2rem 2.25rem; color: #e8eef2; background: #12232d;
            border-radius: 8px; }
main.card button { margin-top: 1rem; padding: .65rem 1.4rem; font: inherit; font-weight: 600; color: #fff;
                   background: #5e0ba7; border: 0; border-radius: 4px; cursor: pointer; }
main.card button.quiet { background: #2a3f4c; }
"""

# The app page asks the server whether this name may start a session now (a reloaded page's
# old socket closes only once this page has loaded), then loads textual.js, whose socket is
# this page's own origin (whatever address the browser used: behind a proxy, on 0.0.0.0,
# over https), never a URL baked in by the server.
ANNOTATOR_JS = """
document.addEventListener("DOMContentLoaded", function () {
  var code = document.getElementById("code");
  if (code) { code.value = ""; }
  var terminal = document.getElementById("terminal");
  if (!terminal) { return; }
  // this tab's id: kept across a reload of the tab (which takes its own session over at
  // once), new in another tab (which is told the name is busy)
  var tab = "";
  try {
    tab = window.sessionStorage.getItem("annotator-tab") || "";
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(tab)) {
      var bytes = new Uint8Array(12);
      window.crypto.getRandomValues(bytes);
      tab = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      window.sessionStorage.setItem("annotator-tab", tab);
    }
  } catch (e) { tab = ""; }
  var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  var base = window.location.pathname.replace(/[^/]*$/, "");
  terminal.dataset.sessionWebsocketUrl = scheme + "//" + window.location.host + base + "ws" + (tab ? "/" + tab : "");
  // the keyboard works at once: focus the terminal's input as soon as it exists
  function focusTerminal(tries) {
    var input = terminal.querySelector("textarea");
    if (input && document.activeElement !== input) { input.focus(); }
    if ((!input || !document.body.classList.contains("-first-byte")) && tries > 0) {
      window.setTimeout(function () { focusTerminal(tries - 1); }, 100);
    }
  }
  fetch(base + "state" + (tab ? "?tab=" + tab : ""), {credentials: "same-origin"})
    .then(function (r) { return r.json(); }).then(function (state) {
    if (!state.signed_in) { window.location.href = base + "sign-in"; return; }
    if (state.busy) {
      terminal.remove();
      document.getElementById("busy-message").textContent = state.message;
      document.querySelector("main.busy").hidden = false;
      document.body.classList.add("-busy");
      return;
    }
    var script = document.createElement("script");
    script.src = base + "static/js/textual.js";
    script.onload = function () {
      if (window.onload) { window.onload(new Event("load")); }
      focusTerminal(300);
    };
    document.head.appendChild(script);
  });
});
"""
