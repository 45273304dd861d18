import type { Metadata } from 'next';
import { CreateTeamForm } from '@/components/teams/create-team-form';

export const metadata: Metadata = { title: 'New team' };

export default function NewTeamPage() {
  return <CreateTeamForm />;
}
