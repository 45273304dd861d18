/**
 * The mesh coordinator: peers work on one goal in rounds and exchange findings through their
 * tree's board. Round 1 spawns each peer with the goal, its instructions and the board; each later
 * round gives every peer still in the run (a peer that failed drops out) the posts that are new since its last turn
 * (`sendInput`). Each reply is read by the board protocol (board-protocol.ts) into posts. The run
 * stops when a peer marks the goal met, when a majority of the peers still in the run vote `done` in a round, after
 * `maxRounds`, or when the tree stops (its budget spent, cancelled).
 */
import {
  BOARD_PROTOCOL_INSTRUCTIONS,
  boardPostsFromReply,
  formatBoard,
  tallyRound,
} from './board-protocol.js';
import {
  type AgentSpec,
  type CoordinationRunStatus,
  type CoordinatorOptions,
  checkAgentSpecs,
  statusOfTree,
  stopOf,
  waitForAgents,
} from './hierarchical.js';
import type { AgentRecord, BoardPost, TaskQueue } from './task-queue.js';

export interface MeshInput {
  rootId: string;
  goal: string;
  agents: AgentSpec[];
  maxRounds: number;
}

export type MeshStopReason = 'goal_met' | 'vote' | 'max_rounds' | 'budget' | 'cancelled' | 'failed';

export interface MeshResult {
  status: CoordinationRunStatus;
  /** Rounds that ran (a round stopped part-way counts). */
  rounds: number;
  /** `failed`: every peer failed, or the queue refused the run (`reason` says which). */
  stopReason: MeshStopReason;
  reason: string | null;
  /** A summary of the run: why it stopped and the board's findings. */
  result: string;
  posts: BoardPost[];
  agents: AgentRecord[];
}

export function meshFirstPrompt(
  goal: string,
  spec: AgentSpec,
  board: string,
  maxRounds: number,
): string {
  return [
    `You are the ${spec.role}, one of several peers working together on one goal (round 1 of at most ${maxRounds}).`,
    `Goal: ${goal}`,
    '',
    'Your instructions:',
    spec.instructions,
    '',
    BOARD_PROTOCOL_INSTRUCTIONS,
    '',
    'The board so far:',
    board,
  ].join('\n');
}

export function meshTurnPrompt(round: number, maxRounds: number, newPosts: string): string {
  return [
    `Round ${round} of at most ${maxRounds}. New on the board since your last turn:`,
    newPosts,
    '',
    'Build on it: add FINDING lines, say GOAL MET when the goal is reached, and cast your VOTE.',
  ].join('\n');
}

async function wholeBoard(queue: TaskQueue, rootId: string, signal?: AbortSignal) {
  const all: BoardPost[] = [];
  for (;;) {
    const page = await queue.board(rootId, { afterId: all.at(-1)?.id ?? 0, signal });
    if (page.length === 0) return all;
    all.push(...page);
  }
}

export async function runMesh(
  queue: TaskQueue,
  input: MeshInput,
  o: CoordinatorOptions,
): Promise<MeshResult> {
  checkAgentSpecs(input.agents);
  if (typeof input.goal !== 'string' || input.goal.trim() === '')
    throw new TypeError('goal is the text of what the run is for.');
  if (!Number.isInteger(input.maxRounds) || input.maxRounds < 1)
    throw new TypeError('maxRounds is a whole number, 1 or more.');
  const peers: Array<{ spec: AgentSpec; id: string | null; seen: number; out: boolean }> =
    input.agents.map((spec) => ({ spec, id: null, seen: 0, out: false }));
  const roles = new Map<string, string>();
  const roleOf = (id: string | null) => (id ? (roles.get(id) ?? 'someone') : 'the coordinator');
  let rounds = 0;

  const end = async (
    stopReason: MeshStopReason,
    status: CoordinationRunStatus,
    reason: string | null,
  ): Promise<MeshResult> => {
    let posts: BoardPost[] = [];
    try {
      posts = await wholeBoard(queue, input.rootId);
    } catch {}
    let agents: AgentRecord[] = [];
    try {
      agents = await Promise.all(peers.flatMap((p) => (p.id ? [queue.get(p.id)] : [])));
    } catch {}
    const findings = posts.filter((p) => p.kind === 'finding');
    const goalMet = posts.find((p) => p.kind === 'goal_met');
    const headline =
      stopReason === 'goal_met'
        ? `Goal met (round ${goalMet?.round ?? rounds}, ${roleOf(goalMet?.agentId ?? null)}): ${goalMet?.body ?? ''}`
        : stopReason === 'vote'
          ? `A majority of the peers voted done in round ${rounds}.`
          : stopReason === 'max_rounds'
            ? `Stopped after ${rounds} rounds, the most this run may take.`
            : `Stopped in round ${rounds}: ${reason ?? stopReason}.`;
    const result = [
      headline,
      '',
      findings.length ? 'Findings:' : 'No findings were posted.',
      ...findings.map((f) => `- [round ${f.round}] ${roleOf(f.agentId)}: ${f.body}`),
    ].join('\n');
    return { status, rounds, stopReason, reason, result, posts, agents };
  };
  const stopped = async (err: unknown) => {
    const stop = await stopOf(err, queue, input.rootId, o.signal);
    return end(
      stop.status === 'budget_exceeded'
        ? 'budget'
        : stop.status === 'cancelled'
          ? 'cancelled'
          : 'failed',
      stop.status,
      stop.reason,
    );
  };

  try {
    for (let round = 1; round <= input.maxRounds; round++) {
      rounds = round;
      const board = await wholeBoard(queue, input.rootId, o.signal);
      const active = peers.filter((p) => !p.out);
      for (const peer of active) {
        if (peer.id === null) {
          const spawned = await queue.spawn(
            {
              task: meshFirstPrompt(
                input.goal,
                peer.spec,
                formatBoard(board, roleOf),
                input.maxRounds,
              ),
              role: peer.spec.role,
              parentId: input.rootId,
            },
            o.signal,
          );
          peer.id = spawned.agentId;
          roles.set(peer.id, peer.spec.role);
        } else {
          const fresh = board.filter((p) => p.id > peer.seen && p.agentId !== peer.id);
          await queue.sendInput(
            peer.id,
            meshTurnPrompt(round, input.maxRounds, formatBoard(fresh, roleOf)),
            o.signal,
          );
        }
        peer.seen = board.at(-1)?.id ?? peer.seen;
      }
      const waited = await waitForAgents(
        queue,
        input.rootId,
        active.map((p) => p.id!),
        o,
      );
      if (!waited.done) {
        const status = statusOfTree(waited.tree);
        return end(
          status === 'budget_exceeded' ? 'budget' : status === 'cancelled' ? 'cancelled' : 'failed',
          status,
          waited.tree.stopReason ?? `the tree ${waited.tree.status}`,
        );
      }
      const budgetStop = waited.agents.find((a) => a.status === 'budget_exceeded');
      if (budgetStop)
        return end(
          'budget',
          'budget_exceeded',
          budgetStop.statusReason ?? "the tree's budget is spent",
        );
      for (const [i, agent] of waited.agents.entries()) {
        const peer = active[i]!;
        if (agent.status !== 'succeeded') {
          peer.out = true;
          continue;
        }
        for (const post of boardPostsFromReply(agent.result ?? ''))
          await queue.post(input.rootId, { ...post, agentId: agent.agentId, round }, o.signal);
      }
      if (peers.every((p) => p.out))
        return end('failed', 'failed', `Every peer failed by round ${round}.`);
      const tally = tallyRound(await wholeBoard(queue, input.rootId, o.signal), round);
      if (tally.goalMet) return end('goal_met', 'succeeded', null);
      if (tally.done > peers.filter((p) => !p.out).length / 2)
        return end('vote', 'succeeded', null);
    }
    return end('max_rounds', 'succeeded', null);
  } catch (err) {
    return stopped(err);
  }
}
