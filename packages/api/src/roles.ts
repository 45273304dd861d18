import { ROLES, type Role } from '@baton/db/schema';

export { ROLES, type Role };

/** owner > admin > member > viewer. */
const RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1, viewer: 0 };

/** Whether `role` is at least `minimum`. */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}
