import { describe, expect, it } from 'vitest';
import {
  BOARD_POST_BODY_MAX,
  boardPostsFromReply,
  formatBoard,
  parseBoardReply,
  tallyRound,
} from './board-protocol.js';
import type { BoardPost } from './task-queue.js';

describe('the board protocol', () => {
  it('reads findings, a vote and a goal claim out of prose, bullets and emphasis', () => {
    const reply = [
      'I looked at the logs first.',
      '- **FINDING:** the cache is cold on every deploy',
      'because the key includes the build id.',
      '',
      'Some more thinking here that is not a post.',
      '2. finding: retries double the load',
      '> Goal met: both causes are identified',
      'VOTE: continue',
      '**Vote**: DONE.',
    ].join('\n');
    expect(parseBoardReply(reply)).toEqual({
      findings: [
        'the cache is cold on every deploy\nbecause the key includes the build id.',
        'retries double the load',
      ],
      vote: 'done',
      goalMet: 'both causes are identified',
      note: null,
    });
    expect(boardPostsFromReply(reply).map((p) => p.kind)).toEqual([
      'finding',
      'finding',
      'goal_met',
      'vote',
    ]);
  });

  it('posts a reply without markers whole as a note, and ignores a vote that is no vote', () => {
    expect(boardPostsFromReply('Just prose.\nNothing else.')).toEqual([
      { kind: 'note', body: 'Just prose.\nNothing else.' },
    ]);
    expect(parseBoardReply('VOTE: maybe')).toMatchObject({ vote: null, note: null, findings: [] });
    expect(boardPostsFromReply('   ')).toEqual([]);
  });

  it('cuts a body past the board limit', () => {
    const [post] = boardPostsFromReply(`FINDING: ${'x'.repeat(BOARD_POST_BODY_MAX + 50)}`);
    expect(post!.body.length).toBe(BOARD_POST_BODY_MAX);
    expect(post!.body.endsWith('…')).toBe(true);
  });

  it('tallies one vote per agent per round (its last) and the first goal claim', () => {
    const at = new Date(0);
    const posts: BoardPost[] = [
      { id: 1, agentId: 'a', round: 1, kind: 'vote', body: 'done', createdAt: at },
      { id: 2, agentId: 'a', round: 2, kind: 'vote', body: 'continue', createdAt: at },
      { id: 3, agentId: 'a', round: 2, kind: 'vote', body: 'done', createdAt: at },
      { id: 4, agentId: 'b', round: 2, kind: 'vote', body: 'continue', createdAt: at },
      { id: 5, agentId: 'b', round: 2, kind: 'goal_met', body: 'yes', createdAt: at },
    ];
    expect(tallyRound(posts, 2)).toEqual({ done: 1, continue: 1, goalMet: posts[4] });
    expect(tallyRound(posts, 1)).toEqual({ done: 1, continue: 0, goalMet: null });
    expect(formatBoard(posts.slice(4), (id) => `peer ${id}`)).toBe(
      '[round 2] peer b — GOAL MET: yes',
    );
    expect(formatBoard([], () => '')).toBe('(the board is empty)');
  });
});
