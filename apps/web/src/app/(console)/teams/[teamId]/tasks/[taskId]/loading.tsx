import { TaskDetailSkeleton } from '@/components/tasks/task-detail';

export default function Loading() {
  return <TaskDetailSkeleton />;
}
