import type { Tool as ApiTool, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { z } from 'zod';

export interface ToolContext {
  signal: AbortSignal | undefined;
  conversationId: string;
  toolUseId: string;
}

/** A caller-supplied tool: a zod schema for its input and a function that runs it. */
export interface Tool<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  input: S;
  run(input: z.output<S>, ctx: ToolContext): Promise<ToolOutput> | ToolOutput;
}

/** What a tool returns: text, or content blocks (text / image) as the API takes them. */
export type ToolOutput = string | Exclude<ToolResultBlockParam['content'], string | undefined>;

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Defines a tool (validates its name and that its input is an object schema). */
export function defineTool<S extends z.ZodType>(tool: Tool<S>): Tool<S> {
  if (!NAME.test(tool.name))
    throw new RangeError(`tool name "${tool.name}" must match ${NAME.source}`);
  toInputSchema(tool.input, tool.name);
  return tool;
}

/** zod 4 schema → the API's `input_schema` (JSON Schema of an object, without `$schema`). */
export function toInputSchema(schema: z.ZodType, name = 'tool'): ApiTool['input_schema'] {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  if (json.type !== 'object')
    throw new RangeError(`tool "${name}": the input schema must describe an object`);
  return json as ApiTool['input_schema'];
}

/** The API's tool definitions for a set of tools (schemas converted once per tool). */
export function toApiTools(tools: readonly Tool[]): ApiTool[] {
  return tools.map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: toInputSchema(t.input, t.name),
  }));
}

export interface ToolRunResult {
  content: ToolOutput;
  isError: boolean;
}

/** Validates the model's input and runs the tool; failures become an error result for the model. */
export async function runTool(
  tool: Tool | undefined,
  name: string,
  input: unknown,
  ctx: ToolContext,
): Promise<ToolRunResult> {
  if (!tool) return { content: `Unknown tool "${name}".`, isError: true };
  const parsed = tool.input.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`)
      .join('; ');
    return { content: `Invalid input for ${name}: ${issues}`, isError: true };
  }
  try {
    return { content: await tool.run(parsed.data, ctx), isError: false };
  } catch (e) {
    if (ctx.signal?.aborted) throw e;
    return { content: `Tool ${name} failed: ${(e as Error)?.message ?? String(e)}`, isError: true };
  }
}

/** Text of a tool output (for events and token counting). */
export function toolOutputText(content: ToolOutput): string {
  if (typeof content === 'string') return content;
  return content.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join('\n');
}
