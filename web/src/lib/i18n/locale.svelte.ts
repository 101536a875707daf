// 界面语言 UI language: zh-CN by default, English on request; kept in localStorage so the choice survives reloads.
// Each screen declares its own messages next to it with `messages({ zh, en })` — no single dictionary every screen
// edits — and reads them through the returned function, which follows the current locale reactively.
export type Locale = 'zh-CN' | 'en';

const STORAGE_KEY = 'cityhub.locale';

function readStored(): Locale {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

class LocaleState {
  current: Locale = $state(readStored());

  set(locale: Locale): void {
    this.current = locale;
    try {
      localStorage.setItem(STORAGE_KEY, locale);
    } catch {
      // Storage disabled: the choice lasts for this page only.
    }
    document.documentElement.lang = locale;
  }
}

export const locale = new LocaleState();

type Params = Record<string, string | number>;
/** A message: plain text with `{name}` placeholders, or a function of the parameters (plurals, numbers). */
type Message = string | ((params: Params) => string);

function format(message: Message, params: Params): string {
  if (typeof message === 'function') return message(params);
  return message.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/**
 * Declares a screen's messages. The Chinese table is the reference: the English one must have exactly its keys (the
 * type checker says which is missing).
 */
export function messages<K extends string>(tables: { zh: Record<K, Message>; en: Record<K, Message> }) {
  return (key: K, params: Params = {}): string =>
    format((locale.current === 'en' ? tables.en : tables.zh)[key], params);
}

/** Formats an instant for the current locale, in China Standard Time (the city's clock, whatever the browser's). */
export function formatTime(value: string | number | Date, withDate = true): string {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (Number.isNaN(ms)) return '—';
  return new Intl.DateTimeFormat(locale.current === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai',
    ...(withDate ? { year: 'numeric', month: '2-digit', day: '2-digit' } : {}),
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(ms);
}
