/**
 * Which characters a request's text may carry (issue 9, item 6). Text fields end up in emails, SMS
 * and pages: a control character there breaks lines or headers (CR/LF), hides text (NUL, ESC
 * sequences) or ends a string early, and a bidi override makes `invoice-‮fdp.exe` read as
 * `invoice-exe.pdf`. Every text field is single-line (none is a free-form message), so the one rule
 * refuses them all. Any string of a body, opaque merchant data included, must at least be
 * well-formed: no lone surrogate (DynamoDB and every other UTF-8 consumer would choke on it) and no
 * U+FFFD, which is what API Gateway leaves of bytes that were not UTF-8 (it hands the function a
 * decoded string, so the replacement character is all that can still be seen of them).
 *
 * A refusal names the code point and its position, counted in characters from 1.
 */

const REFUSED = {
  surrogate: 'must not contain lone surrogates',
  control: 'must not contain control characters',
  separator: 'must not contain line or paragraph separators',
  bidi: 'must not contain bidirectional formatting characters',
} as const;

type Kind = keyof typeof REFUSED | 'replacement';

function kindOf(code: number, width: number): Kind | undefined {
  if (code === 0xfffd) return 'replacement';
  if (width === 1 && code >= 0xd800 && code <= 0xdfff) return 'surrogate';
  if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return 'control';
  if (code === 0x2028 || code === 0x2029) return 'separator';
  // ALM, LRM, RLM; LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI.
  if (code === 0x061c || code === 0x200e || code === 0x200f || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) return 'bidi';
  return undefined;
}

const codePoint = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

function firstRefused(value: string, refuses: (kind: Kind) => boolean): string | undefined {
  let position = 0;
  for (const char of value) {
    position++;
    const code = char.codePointAt(0)!;
    const kind = kindOf(code, char.length);
    if (kind === undefined || !refuses(kind)) continue;
    if (kind === 'replacement') return `is not valid UTF-8 (${codePoint(code)} at position ${position}, the replacement for bytes that were not)`;
    return `${REFUSED[kind]} (${codePoint(code)} at position ${position})`;
  }
  return undefined;
}

/** Why a string of a request body cannot be taken whatever the field (lone surrogate, U+FFFD), or undefined. */
export function encodingProblem(value: string): string | undefined {
  return firstRefused(value, (kind) => kind === 'replacement' || kind === 'surrogate');
}

/** Why a text field (shown in emails, SMS, pages) cannot take this value, or undefined. */
export function textProblem(value: string): string | undefined {
  return firstRefused(value, () => true);
}
