import { SandboxSettingsSkeleton } from '@/components/workspace/sandbox-settings';

export default function Loading() {
  return <SandboxSettingsSkeleton />;
}
