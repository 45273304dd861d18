import type { Role } from '@baton/db/schema';

/** owner > admin > member > viewer (mirrors @baton/api; the server decides, this only hides buttons). */
const RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1, viewer: 0 };

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}
