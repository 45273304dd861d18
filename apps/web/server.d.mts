import type { IncomingMessage, ServerResponse } from 'node:http';

export declare const PEER_HEADER: 'x-baton-peer';
export declare const MAX_API_BODY_BYTES: number;
export declare function createListener(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void,
  options?: { hsts?: boolean; limit?: number },
): (req: IncomingMessage, res: ServerResponse, expectContinue?: boolean) => Promise<void>;
