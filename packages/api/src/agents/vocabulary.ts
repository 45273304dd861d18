/**
 * Core's coordination vocabulary and the database's are one: @baton/core (a library other
 * repositories install, which never imports @baton/db) and @baton/db (which cannot import core)
 * each spell the statuses and kinds out, and this file — in the one package that sees both — fails
 * the typecheck the moment they drift apart, in either direction.
 */
import type {
  AgentStatus,
  BoardPostKind,
  CoordinationStrategy,
  TERMINAL_AGENT_STATUSES,
  TreeState,
} from '@baton/core';
import type {
  BoardPostKind as DbBoardPostKind,
  CoordinationStrategy as DbCoordinationStrategy,
  TaskStatus,
  TERMINAL_TASK_STATUSES,
  TreeStatus,
} from '@baton/db/schema';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Compile-time only: each line is `true` exactly when the two spellings agree. */
export const VOCABULARY_AGREES = {
  agentStatus: true satisfies Same<AgentStatus, TaskStatus>,
  terminal: true satisfies Same<
    (typeof TERMINAL_AGENT_STATUSES)[number],
    (typeof TERMINAL_TASK_STATUSES)[number]
  >,
  strategy: true satisfies Same<CoordinationStrategy, DbCoordinationStrategy>,
  boardPostKind: true satisfies Same<BoardPostKind, DbBoardPostKind>,
  treeStatus: true satisfies Same<TreeState['status'], TreeStatus>,
} as const;
