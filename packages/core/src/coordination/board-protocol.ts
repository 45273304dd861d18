/**
 * The mesh board protocol: how a peer's free-form reply becomes posts on its tree's board.
 *
 * A peer writes whatever prose it likes; only lines that start with one of these markers count
 * (case-insensitive, after optional list bullets `-`/`*`/`1.`, `>` quotes or `**`/`__` emphasis):
 *
 * ```
 * FINDING: <one finding>        → a `finding` post (continuation lines follow until a blank line
 *                                 or the next marker)
 * VOTE: done | continue         → a `vote` post whose body is `done` or `continue`
 * GOAL MET: <why it is met>     → a `goal_met` post: the peer says the goal is reached
 * ```
 *
 * A reply with no marker at all is posted whole as one `note`, so nothing a peer said is lost.
 * A `VOTE:` with another word, or several votes, counts only its last valid vote. A reply that
 * says `GOAL MET:` but votes `continue` still marks the goal met: the claim is explicit.
 */
import type { BoardPost, BoardPostKind } from './task-queue.js';

/** The longest post body the protocol produces (longer text is cut, marked with `…`). */
export const BOARD_POST_BODY_MAX = 20_000;

export type BoardVote = 'done' | 'continue';

export interface ParsedReply {
  findings: string[];
  /** The reply's (last valid) vote, or null when it cast none. */
  vote: BoardVote | null;
  /** Why the goal is met, when the reply said `GOAL MET:`. */
  goalMet: string | null;
  /** The whole reply, when it used no marker (posted as a note). */
  note: string | null;
}

const MARKER =
  /^\s*(?:>\s*)*(?:[-*+•]\s+|\d+[.)]\s+)?(?:\*\*|__)?\s*(finding|vote|goal[ _-]?met)\s*(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*)$/i;

function clip(text: string): string {
  const t = text.trim();
  return t.length <= BOARD_POST_BODY_MAX ? t : `${t.slice(0, BOARD_POST_BODY_MAX - 1)}…`;
}

/** Reads a reply as the protocol defines it (see the module's comment). */
export function parseBoardReply(reply: string): ParsedReply {
  const out: ParsedReply = { findings: [], vote: null, goalMet: null, note: null };
  let open: { kind: 'finding' | 'goal'; lines: string[] } | null = null;
  let sawMarker = false;
  const close = () => {
    if (!open) return;
    const body = open.lines
      .join('\n')
      .replace(/\*\*|__/g, '')
      .trim();
    if (body) {
      if (open.kind === 'finding') out.findings.push(clip(body));
      else out.goalMet = clip(body);
    } else if (open.kind === 'goal') out.goalMet = 'The goal is met.';
    open = null;
  };
  for (const line of reply.split(/\r?\n/)) {
    const m = MARKER.exec(line);
    if (m) {
      sawMarker = true;
      close();
      const marker = m[1]!.toLowerCase().replace(/[ _-]/g, '');
      const rest = m[2] ?? '';
      if (marker === 'vote') {
        const word = /^(done|continue)\b/i.exec(rest.replace(/[*_`"']/g, '').trim());
        if (word) out.vote = word[1]!.toLowerCase() as BoardVote;
      } else {
        open = { kind: marker === 'finding' ? 'finding' : 'goal', lines: [rest] };
      }
      continue;
    }
    if (open) {
      if (line.trim() === '') close();
      else open.lines.push(line.trim());
    }
  }
  close();
  if (!sawMarker && reply.trim() !== '') out.note = clip(reply);
  return out;
}

/** The posts a reply makes, in the order they go on the board. */
export function boardPostsFromReply(reply: string): Array<{ kind: BoardPostKind; body: string }> {
  const parsed = parseBoardReply(reply);
  const posts: Array<{ kind: BoardPostKind; body: string }> = parsed.findings.map((body) => ({
    kind: 'finding',
    body,
  }));
  if (parsed.goalMet !== null) posts.push({ kind: 'goal_met', body: parsed.goalMet });
  if (parsed.vote !== null) posts.push({ kind: 'vote', body: parsed.vote });
  if (parsed.note !== null) posts.push({ kind: 'note', body: parsed.note });
  return posts;
}

/** What a peer is told about the protocol, in its prompt. */
export const BOARD_PROTOCOL_INSTRUCTIONS = [
  'You share a board with the other peers. Write your reply freely, but put what the others should',
  'read on lines of their own, starting with one of these markers:',
  'FINDING: <one finding, fact or proposal for the board>',
  'VOTE: done      (the work is complete)   or   VOTE: continue   (another round is needed)',
  'GOAL MET: <why the goal is reached>      (only when it really is)',
  'Cast exactly one VOTE in every reply.',
].join('\n');

/** The board as a peer reads it: one line per post, with who posted it and in which round. */
export function formatBoard(
  posts: BoardPost[],
  roleOf: (agentId: string | null) => string,
): string {
  if (posts.length === 0) return '(the board is empty)';
  return posts
    .map((p) => {
      const label = p.kind === 'goal_met' ? 'GOAL MET' : p.kind.toUpperCase();
      return `[round ${p.round}] ${roleOf(p.agentId)} — ${label}: ${p.body}`;
    })
    .join('\n');
}

export interface RoundTally {
  /** Peers whose latest vote of the round is `done`. */
  done: number;
  /** Peers whose latest vote of the round is `continue`. */
  continue: number;
  /** The first `goal_met` post of the round, if any. */
  goalMet: BoardPost | null;
}

/** The votes and goal claims of one round's posts (one vote per agent: its last). */
export function tallyRound(posts: BoardPost[], round: number): RoundTally {
  const votes = new Map<string, BoardVote>();
  let goalMet: BoardPost | null = null;
  for (const p of posts) {
    if (p.round !== round) continue;
    if (p.kind === 'goal_met' && goalMet === null) goalMet = p;
    if (p.kind === 'vote' && (p.body === 'done' || p.body === 'continue'))
      votes.set(p.agentId ?? `anonymous-${p.id}`, p.body);
  }
  let done = 0;
  for (const v of votes.values()) if (v === 'done') done++;
  return { done, continue: votes.size - done, goalMet };
}
