/**
 * Reminder schedules as merchants write them: ISO 8601 durations before expiry. Checked when a link
 * is created (link/commands.ts) and turned into times by the workflow (workflow/workflow.ts).
 */
export const MAX_REMINDERS = 5;

/** ISO 8601 durations as merchants write them for reminders: PnDTnHnMnS (weeks, months, years refused). */
const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export function parseDurationMs(duration: string): number | undefined {
  const m = DURATION.exec(duration);
  if (!m || duration === 'P' || duration.endsWith('T')) return undefined;
  const [, d, h, min, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  return ((((d ?? 0) * 24 + (h ?? 0)) * 60 + (min ?? 0)) * 60 + (s ?? 0)) * 1000;
}

export interface ReminderPolicy {
  /** Durations before expiry, e.g. ['PT24H']. */
  before_expiry: string[];
  /** Only for links that live longer than this (e.g. 'PT48H'); undefined: always. */
  min_lifetime?: string;
}
