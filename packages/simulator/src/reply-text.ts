import type { MessagesRequest } from './messages.js';
import { lastUserHasToolResults, lastUserText, sentences } from './request-text.js';
import type { Rng } from './rng.js';
import { countText, truncateToTokens } from './tokens.js';

/** Longest subject quoted from the request, in words. */
const SUBJECT_WORDS = 10;
const SUBJECT_SCAN_CHARS = 400;

/**
 * What a generated reply says the request was about: the opening words of the last user
 * message's text (scenario markers removed), `the tool results you sent` for a turn of tool
 * results only, or undefined when the request has no prose at all.
 */
export function replySubject(req: MessagesRequest): string | undefined {
  // The opening is enough (and keeps a huge prompt from being split whole on every request).
  const first = sentences(lastUserText(req).slice(0, SUBJECT_SCAN_CHARS))[0];
  if (first === undefined) {
    return lastUserHasToolResults(req) ? 'the tool results you sent' : undefined;
  }
  const words = first.split(' ');
  const cut = words.slice(0, SUBJECT_WORDS).join(' ');
  const quoted = words.length > SUBJECT_WORDS ? `${cut}…` : cut.replace(/[.!?:;,]+$/, '');
  return `“${quoted}”`;
}

/** Sentences a generated reply is made of after its opening; `{s}` is the subject. */
const BODY = [
  'No model has read your request: the simulator writes this text itself, so Baton can run and be tested without calling Anthropic.',
  'A real answer about {s} would come from Claude; set ANTHROPIC_API_KEY to get one.',
  "The length of this reply is drawn from the simulator's configured distribution, and its tokens are counted the same way as your prompt's.",
  'The text is generated locally and deterministically: the same seed and the same requests give the same replies.',
  'It streams, stops and reports usage as the Messages API does, so a client behaves as it would against the real service.',
  'Rate limits, prompt caching, faults and tool calls are simulated as well.',
  'Nothing in this reply is a real answer to {s}.',
  'Scenario files can script exact replies when a test needs them.',
];

function fill(template: string, subject: string): string {
  return template.replaceAll('{s}', subject);
}

/** Token counts of pieces already seen (the hot path of every generated reply); bounded. */
const pieceTokens = new Map<string, number>();
const PIECE_CACHE_MAX = 4096;

function countPiece(piece: string): number {
  let n = pieceTokens.get(piece);
  if (n === undefined) {
    n = countText(piece);
    if (pieceTokens.size >= PIECE_CACHE_MAX) pieceTokens.clear();
    pieceTokens.set(piece, n);
  }
  return n;
}

/**
 * A readable reply of `target` tokens (by `countText`, truncated mid-sentence if needed) that
 * says it is simulated and names what the request asked about. Deterministic for the RNG's
 * state. `kind: 'thinking'` words it as a thinking block.
 */
export function simulatedText(
  req: MessagesRequest,
  rng: Rng,
  target: number,
  kind: 'reply' | 'thinking' = 'reply',
): string {
  const subject = replySubject(req);
  const about = subject ? ` about ${subject}` : '';
  // Every piece starts at a token boundary (the text's start, a space or a line break before a
  // word), so the text's count is the sum of its pieces' and only the last piece needs cutting.
  let piece =
    kind === 'thinking'
      ? `This is simulated thinking by Baton's simulator on your request${about}.`
      : `This is a simulated reply from Baton's simulator to your request${about}.`;
  let before = '';
  let tokensBefore = 0;
  let tokens = countPiece(piece);
  const s = subject ?? 'it';
  let order: number[] = [];
  let inParagraph = 1;
  while (tokens < target) {
    if (order.length === 0) {
      // A fresh shuffle of the body sentences each time all have been used.
      order = BODY.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
    }
    const sentence = fill(BODY[order.pop() as number] as string, s);
    const breakHere = inParagraph >= 3 && rng.next() < 0.5;
    inParagraph = breakHere ? 1 : inParagraph + 1;
    before += piece;
    tokensBefore = tokens;
    piece = breakHere ? `\n\n${sentence}` : ` ${sentence}`;
    tokens += countPiece(piece);
  }
  return tokens > target ? before + truncateToTokens(piece, target - tokensBefore) : before + piece;
}
