/**
 * Text into HTML. Every page and email we render builds its markup by hand, so every interpolated
 * value goes through this one function.
 */

/**
 * Escapes the five characters that matter in element content and in quoted attribute values, as
 * numeric character references (`<` → `&#60;`): valid in HTML and in XML alike.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
