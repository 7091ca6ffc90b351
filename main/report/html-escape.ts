/** Escaping for text that users control (model names, device names, warnings) inside HTML. */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for element content and for quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c)
}

/**
 * JSON for a `<script type="application/json">` block. Every `<` becomes \u003c so no value can
 * close the block (`</script>`) or open a comment (`<!--`); U+2028/2029 are escaped for old parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/**
 * Makes third-party JavaScript safe to inline: `</script` would end the element early. Inside
 * string or regex literals `<\/` means the same as `</`, so the code is unchanged.
 */
export function inlineScriptSafe(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--')
}
