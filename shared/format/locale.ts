/**
 * Which language a shopper reads and which BCP 47 tag formats their numbers and dates. We write
 * copy in English and French; a shopper whose tags name neither reads English. The customer page,
 * the emails and SMS, and the sandbox PSP's pages all choose here, so one link reads the same way
 * (and shows the same amount) everywhere.
 */

/** The languages we have copy in. */
export type Language = 'en' | 'fr';

export interface ResolvedLocale {
  language: Language;
  /** The tag to format with: the shopper's own (canonical) tag when Intl knows it, else the language. */
  locale: string;
}

const ENGLISH: ResolvedLocale = { language: 'en', locale: 'en' };

const isLanguage = (value: string): value is Language => value === 'en' || value === 'fr';

/** The tags of an Accept-Language header in the order sent, weights dropped: "fr-CH, en;q=0.8" → fr-CH, en. */
function acceptLanguageTags(header: string | undefined): string[] {
  return (header ?? '').split(',').map((part) => part.split(';')[0]!);
}

function fromTag(tag: string): ResolvedLocale | undefined {
  let canonical: string | undefined;
  try {
    canonical = Intl.getCanonicalLocales(tag)[0];
  } catch {
    canonical = undefined;
  }
  const language = (canonical ?? tag).split('-')[0]!.toLowerCase();
  if (!isLanguage(language)) return undefined;
  const usable = canonical !== undefined && Intl.DateTimeFormat.supportedLocalesOf(canonical).length > 0;
  return { language, locale: usable ? canonical! : language };
}

/**
 * The first of `preferred` (the link's customer.locale) and then the Accept-Language tags whose
 * language we have copy in; English when none has.
 */
export function resolveLocale(preferred: string | undefined, acceptLanguage?: string): ResolvedLocale {
  for (const tag of [preferred, ...acceptLanguageTags(acceptLanguage)]) {
    const resolved = tag?.trim() ? fromTag(tag.trim()) : undefined;
    if (resolved) return resolved;
  }
  return ENGLISH;
}
