/**
 * Where to go after sign-in or sign-up: `value` only when it is a path on this
 * origin, else `fallback`. Refuses protocol-relative (`//x`) and backslash forms
 * (`/\x`: browsers read `\` as `/`), control characters and whitespace tricks,
 * any scheme, and anything that resolves to another origin. Returns the path as
 * the URL parser normalised it (path, query, fragment).
 */
export function safeNext(value: string | null | undefined, origin: string, fallback = '/'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return fallback;
  if (!value.startsWith('/') || value.startsWith('//')) return fallback;
  if (value.includes('\\')) return fallback;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f\s]/.test(value)) return fallback;
  let base: URL;
  let url: URL;
  try {
    base = new URL(origin);
    url = new URL(value, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base.origin) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
