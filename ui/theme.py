"""The page's look: a Gradio theme on system fonts, the styles, a small script.

System fonts only, so the page asks no other host for anything (no web fonts,
no CDN). Kept as Python strings rather than package-data files so an install
of the package always carries them.

Example:
    >>> "rag-marker" in CSS and "rag-marker" in HEAD
    True
"""

from __future__ import annotations

from typing import Any

SANS = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
        "Liberation Sans", "sans-serif"]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace"]


def make_theme() -> Any:
    """The Gradio theme: default colours, system fonts (no font downloads)."""
    import gradio as gr  # only here: importing `ui.theme` stays cheap

    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=SANS, font_mono=MONO)


CSS = """
/* Our own "Searching…/Writing…" note replaces Gradio's loading dots. */
#rag-chat .message.bot.pending { display: none; }
/* The chat's own trash icon would sit on the first message; "Start over" does its job. */
#rag-chat .icon-button-wrapper.top-panel { display: none; }
/* A full queue is announced by Gradio's toast and our status line; its generic
   "Error" badge over the chat would only hide the conversation. */
:is(#rag-chat, #rag-question, #rag-status, #rag-sources)
  > [data-testid="status-tracker"]:has(> .error) { display: none; }
#rag-clear { flex-grow: 0 !important; min-width: 120px !important; margin-left: auto; }
.rag-header h1 { margin: 0 0 2px; font-size: 1.5rem; }
.rag-header p { margin: 0; color: var(--body-text-color-subdued); }
.rag-marker { color: var(--color-accent); font-weight: 600; cursor: pointer;
  text-decoration: none; padding: 0 2px; border-radius: 4px; white-space: nowrap; }
.rag-marker:hover, .rag-marker:focus { background: var(--color-accent-soft); }
mark.rag-quote { background: #fde68a; color: #1f2937; padding: 1px 2px; border-radius: 3px; }
.rag-note { color: var(--body-text-color-subdued); font-size: 0.88em; margin-top: 4px; }
.rag-working::after { content: " ⋯"; }
.rag-error { color: var(--error-text-color); }
.rag-decline strong { display: block; margin-bottom: 2px; }
.rag-provisional { opacity: 0.8; }
.rag-cursor { display: inline-block; width: 0.5em; height: 1em; margin-left: 1px;
  background: currentColor; vertical-align: text-bottom;
  animation: rag-blink 1s steps(1) infinite; }
@keyframes rag-blink { 50% { opacity: 0; } }
.rag-status { padding: 6px 10px; border-radius: 6px; margin-top: 4px; }
.rag-status.rag-error { background: var(--error-background-fill);
  border: 1px solid var(--error-border-color); }
.rag-status.rag-info { background: var(--background-fill-secondary); }
.rag-sources { display: flex; flex-direction: column; gap: 10px; }
.rag-sources-empty { color: var(--body-text-color-subdued); padding: 8px 2px; }
.rag-asked { font-weight: 600; }
.rag-cite { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px;
  background: var(--background-fill-primary); transition: box-shadow 0.3s; }
.rag-cite.rag-flash { box-shadow: 0 0 0 3px var(--color-accent); }
.rag-cite header { display: flex; align-items: baseline; gap: 8px; flex-wrap: wrap; }
.rag-num { font-weight: 700; color: var(--color-accent); }
.rag-open { background: none; border: none; padding: 0; color: var(--link-text-color);
  text-decoration: underline; cursor: pointer; font: inherit; word-break: break-all; }
.rag-score { margin-left: auto; color: var(--body-text-color-subdued); font-size: 0.85em;
  white-space: nowrap; }
.rag-context { margin: 6px 0 0; padding: 2px 0 2px 10px; border-left: 3px solid
  var(--border-color-primary); white-space: pre-wrap; line-height: 1.5; }
.rag-closest ol { padding-left: 1.2em; }
.rag-timings { color: var(--body-text-color-subdued); font-size: 0.8em; }
.rag-doc-text { white-space: pre-wrap; max-height: 520px; overflow-y: auto; line-height: 1.55;
  padding: 8px; border: 1px solid var(--border-color-primary); border-radius: 6px; }
.rag-doc-text sup.rag-num { font-size: 0.7em; margin-right: 1px; }
.rag-docs { width: 100%; border-collapse: collapse; font-size: 0.92em; }
.rag-docs th, .rag-docs td { text-align: left; padding: 3px 6px;
  border-bottom: 1px solid var(--border-color-primary); word-break: break-all; }
.rag-docs .rag-count { text-align: right; }
.rag-model { margin-bottom: 6px; }
.rag-page-num { color: var(--body-text-color-subdued); font-size: 0.9em; }
.rag-page { margin: 8px 0 0; }
.rag-page img { width: 100%; height: auto; border: 1px solid var(--border-color-primary);
  border-radius: 4px; }
.rag-page figcaption { color: var(--body-text-color-subdued); font-size: 0.8em; }
.rag-uploads ul { margin: 4px 0; padding-left: 1.2em; }
"""

# Clicking a [n] marker selects its answer (a Gradio `select` event fills the
# sources panel); this script then scrolls the panel to citation n and flashes
# it. It polls briefly because the panel is re-rendered after the server replies.
HEAD = """
<script>
(() => {
  document.addEventListener("click", (ev) => {
    const marker = ev.target.closest && ev.target.closest(".rag-marker");
    if (!marker) return;
    ev.preventDefault();
    const tag = [...marker.classList].find((c) => c.startsWith("rag-m-"));
    if (!tag) return;
    const id = tag.replace("rag-m-", "rag-cite-");
    let tries = 0;
    const look = () => {
      const el = document.getElementById(id);
      if (el) {
        el.scrollIntoView({behavior: "smooth", block: "nearest"});
        el.classList.add("rag-flash");
        setTimeout(() => el.classList.remove("rag-flash"), 1600);
      } else if (tries++ < 50) {
        setTimeout(look, 100);
      }
    };
    look();
  }, true);
  // When a whole document is shown, scroll its first highlighted span into
  // view. Gradio renders the document box lazily (inside an accordion) and
  // replaces it on every update, so watch the page for a new box.
  const seen = new WeakSet();
  const scrollToMark = (box, tries) => {
    const mark = box.querySelector("mark.rag-quote");
    if (!mark) return;
    if (box.clientHeight === 0 && tries > 0) {
      return setTimeout(() => scrollToMark(box, tries - 1), 100);
    }
    box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top - 40;
  };
  const observe = () => new MutationObserver(() => {
    const box = document.querySelector("#rag-doc .rag-doc-text");
    if (!box || seen.has(box)) return;
    seen.add(box);
    scrollToMark(box, 20);
  }).observe(document.body, {childList: true, subtree: true});
  if (document.body) observe(); else addEventListener("DOMContentLoaded", observe);
})();
</script>
"""

# For the sources panel (a gr.HTML): a click on a document name asks the
# server to open that document.
OPEN_DOCUMENT_JS = """
element.addEventListener("click", (ev) => {
  const button = ev.target.closest && ev.target.closest(".rag-open");
  if (button) trigger("click", {source: button.dataset.source});
});
"""
