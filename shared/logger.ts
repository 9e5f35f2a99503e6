/**
 * Structured JSON logs, one line per entry, as CloudWatch Logs Insights likes them. Values under
 * keys that may carry secrets or personal data are masked before anything is written.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const SECRET_KEY = /secret|password|token|^authorization$|api[-_]?key|cookie|signature|card|cvc|cvv|\bpan\b/i;
const PERSONAL_KEY = /email|phone|first_name|last_name|middle_name|birth|address|national_identifier|ip_address/i;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const PHONE = /\+\d{7,15}\b/g;
const CARD = /\b\d{13,19}\b/g;

function maskString(value: string): string {
  return value.replace(EMAIL, '***@***').replace(PHONE, '+***').replace(CARD, '****');
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[depth]';
  if (typeof value === 'string') return maskString(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: maskString(value.message), stack: value.stack?.split('\n').slice(0, 6).join('\n') };
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) || PERSONAL_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]),
    );
  }
  return value;
}

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(
  options: { level?: LogLevel; bindings?: Record<string, unknown>; write?: (line: string) => void } = {},
): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const bindings = options.bindings ?? {};
  const log = (level: LogLevel) => (message: string, data: Record<string, unknown> = {}) => {
    if (ORDER[level] < min) return;
    write(JSON.stringify({ level, time: new Date().toISOString(), message, ...(redact({ ...bindings, ...data }) as object) }));
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more) => createLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}
