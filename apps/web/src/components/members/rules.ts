import type { Role } from '@baton/db/schema';
import { roleAtLeast } from '../ui/roles';

/**
 * The membership rules as the console shows them (the server enforces them:
 * packages/api/src/router/team.ts). Admins and owners manage members; only
 * owners make, change or remove owners.
 */
export function canManageMember(actor: Role, target: Role): boolean {
  if (!roleAtLeast(actor, 'admin')) return false;
  return target !== 'owner' || actor === 'owner';
}

/** The roles `actor` may give (to a member or in an invitation). */
export function assignableRoles(actor: Role): Role[] {
  if (actor === 'owner') return ['owner', 'admin', 'member', 'viewer'];
  if (actor === 'admin') return ['admin', 'member', 'viewer'];
  return [];
}

export const EXPIRY_OPTIONS = [
  [24, '1 day'],
  [7 * 24, '7 days'],
  [30 * 24, '30 days'],
] as const;

export const ROLE_HINT = 'Only owners can invite owners.';
