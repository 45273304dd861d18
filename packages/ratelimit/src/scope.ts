/** The model line a model id belongs to (Anthropic keeps limits per line): opus, sonnet, haiku, … */
export function modelClass(model: string): string {
  const m = model.toLowerCase();
  for (const line of ['opus', 'sonnet', 'haiku']) if (m.includes(line)) return line;
  return m.replace(/-\d{8}$/, '').replace(/-latest$/, '');
}

/** A short, stable, non-secret id of an API key (FNV-1a), so keys never appear in scope names. */
export function keyId(apiKey: string | undefined): string {
  if (!apiKey) return 'anonymous';
  let h = 0x811c9dc5;
  for (let i = 0; i < apiKey.length; i++) {
    h ^= apiKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `key-${h.toString(16).padStart(8, '0')}`;
}

/** The default scope of a request: API key × model class. */
export function scopeOf(apiKey: string | undefined, model: string): string {
  return `${keyId(apiKey)}:${modelClass(model)}`;
}
