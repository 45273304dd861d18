import { describe, expect, it } from 'vitest';
import { assignableRoles, canManageMember } from './rules';

describe('membership rules in the console', () => {
  it('admins manage everyone below owner; owners manage owners too; members and viewers nobody', () => {
    expect(canManageMember('owner', 'owner')).toBe(true);
    expect(canManageMember('admin', 'owner')).toBe(false);
    expect(canManageMember('admin', 'admin')).toBe(true);
    expect(canManageMember('admin', 'viewer')).toBe(true);
    expect(canManageMember('member', 'viewer')).toBe(false);
    expect(canManageMember('viewer', 'viewer')).toBe(false);
  });

  it('offers the owner role only to owners', () => {
    expect(assignableRoles('owner')).toContain('owner');
    expect(assignableRoles('admin')).toEqual(['admin', 'member', 'viewer']);
    expect(assignableRoles('member')).toEqual([]);
  });
});
