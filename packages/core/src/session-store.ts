import type { SessionState } from './session.js';

/** Where session state lives between runs (and between workers). */
export interface SessionStore {
  load(conversationId: string): Promise<SessionState | undefined>;
  save(state: SessionState): Promise<void>;
  delete(conversationId: string): Promise<void>;
}

export interface MemorySessionStore extends SessionStore {
  readonly size: number;
}

/** Keeps JSON copies in memory (a copy in, a copy out: no shared mutable state). */
export function memorySessionStore(): MemorySessionStore {
  const data = new Map<string, string>();
  return {
    get size() {
      return data.size;
    },
    async load(id) {
      const v = data.get(id);
      return v === undefined ? undefined : (JSON.parse(v) as SessionState);
    },
    async save(state) {
      data.set(state.conversationId, JSON.stringify(state));
    },
    async delete(id) {
      data.delete(id);
    },
  };
}
