import type { MessagesRequest } from './messages.js';
import { blocksText, lastUserIndex, lastUserText, sentences } from './request-text.js';

/**
 * Recall replies: an answer made only of sentences the request itself contains, so a test can
 * tell what reached the model. A fact that is not in the request cannot be recalled.
 *
 * - When the last user message's text ends with `?`, its last sentence is the question: the reply
 *   quotes, in request order, the statements (sentences not ending in `?`) from the system prompt
 *   and every message that share the most keywords with it — or says that nothing does.
 * - Otherwise the reply is a digest of the last user message: its distinct sentences, in order
 *   (tool results included) — an extractive summary when the message is a transcript to summarize.
 */

/** Words that say nothing about what a question is about. */
const STOPWORDS = new Set(
  (
    'the and for are was were what which who whom whose when where why how does did has have had ' +
    'you your yours this that these those there their them they its can could would should ' +
    'will shall may might must about from with into onto than then tell please know say said ' +
    'any all some our ours not but also just again remind give show find let use one'
  ).split(' '),
);

/** Lower-case keywords of a sentence (3+ characters or with a digit; no `'s`; plural `s` dropped). */
export function keywords(sentence: string): Set<string> {
  const out = new Set<string>();
  for (const raw of sentence.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}_'-]*/gu) ?? []) {
    const w = (raw.split("'")[0] as string).replace(/-+$/, ''); // what's → what
    if (w.length < 3 && !/\d/.test(w)) continue;
    if (STOPWORDS.has(w)) continue;
    out.add(w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w);
  }
  return out;
}

/** Every sentence of the request's prose, in prompt order (system, then messages). */
function requestSentences(req: MessagesRequest): string[] {
  const out: string[] = [];
  for (const t of blocksText(req.system)) out.push(...sentences(t));
  for (const m of req.messages) for (const t of blocksText(m.content)) out.push(...sentences(t));
  return out;
}

/** At most this many sentences are quoted in an answer. */
const MAX_QUOTED = 8;

/** The question of a request: the last sentence of its last user text, when that ends in `?`. */
export function recallQuestion(req: MessagesRequest): string | undefined {
  const text = lastUserText(req).trim();
  if (!text.endsWith('?')) return undefined;
  return sentences(text).at(-1);
}

/** The recall reply's text for a request. */
export function recallText(req: MessagesRequest): string {
  const question = recallQuestion(req);
  if (question === undefined) {
    const m = req.messages[lastUserIndex(req)];
    const seen = new Set<string>();
    const digest: string[] = [];
    for (const t of m ? blocksText(m.content) : []) {
      for (const s of sentences(t)) {
        if (seen.has(s)) continue;
        seen.add(s);
        digest.push(s);
      }
    }
    return digest.length > 0 ? digest.join(' ') : 'There is nothing in this request to recall.';
  }
  const asked = keywords(question);
  let best = 0;
  const scored: Array<{ s: string; score: number }> = [];
  for (const s of requestSentences(req)) {
    if (s.endsWith('?')) continue; // questions (this one, or asked before) are not facts
    let score = 0;
    for (const w of keywords(s)) if (asked.has(w)) score++;
    if (score === 0) continue;
    scored.push({ s, score });
    if (score > best) best = score;
  }
  const quoted: string[] = [];
  for (const { s, score } of scored) {
    if (score === best && !quoted.includes(s)) quoted.push(s);
    if (quoted.length === MAX_QUOTED) break;
  }
  if (quoted.length === 0) return 'Nothing in this conversation answers that question.';
  return quoted.join(' ');
}
