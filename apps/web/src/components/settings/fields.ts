/** A form field as a number for the API: "" → undefined (not set), "12.5" → 12.5, "x" → NaN (the server names the field). */
export function numberField(v: FormDataEntryValue | null): number | undefined {
  const s = String(v ?? '').trim();
  return s === '' ? undefined : Number(s);
}

/** A `datetime-local` value ("2026-12-01T09:30", local time) as a Date; "" → undefined. */
export function localDateTime(v: FormDataEntryValue | null): Date | undefined {
  const s = String(v ?? '').trim();
  if (!s) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
