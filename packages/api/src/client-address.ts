/**
 * The client's address, believed only as far as the operator's trusted proxies vouch for it.
 * The console's server puts the TCP peer in `x-baton-peer` (apps/web/server.mjs overwrites
 * whatever a client sent there); when that peer is a trusted proxy (BATON_TRUSTED_PROXIES:
 * addresses or CIDR ranges, comma-separated), `X-Forwarded-For` is read from the right, past
 * every trusted hop, and the first address no trusted proxy stands for is the client.
 */
import { BlockList, isIP } from 'node:net';

export const PEER_HEADER = 'x-baton-peer';

export type ClientAddress = (headers: Headers) => string | undefined;

function normal(a: string): string {
  const t = a.trim().replace(/^\[|\]$/g, '');
  return t.startsWith('::ffff:') && isIP(t.slice(7)) === 4 ? t.slice(7) : t;
}

/** Parses the trusted proxies; throws naming an entry that is neither an address nor a CIDR. */
export function trustedProxies(list: string | undefined): BlockList {
  const b = new BlockList();
  for (const raw of (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [addr, bits] = raw.split('/');
    const a = normal(addr ?? '');
    const kind = isIP(a);
    if (!kind)
      throw new Error(`BATON_TRUSTED_PROXIES: "${raw}" is not an IP address or CIDR range`);
    const type = kind === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) b.addAddress(a, type);
    else {
      const n = Number(bits);
      if (!Number.isInteger(n) || n < 0 || n > (kind === 4 ? 32 : 128))
        throw new Error(`BATON_TRUSTED_PROXIES: "${raw}" has a bad prefix length`);
      b.addSubnet(a, n, type);
    }
  }
  return b;
}

function trusted(b: BlockList, a: string): boolean {
  const kind = isIP(a);
  return kind !== 0 && b.check(a, kind === 4 ? 'ipv4' : 'ipv6');
}

/** A ClientAddress for the console's server, given its trusted proxies. */
export function clientAddressFrom(proxies: BlockList): ClientAddress {
  return (headers) => {
    const peerRaw = headers.get(PEER_HEADER);
    if (!peerRaw) return undefined;
    let client = normal(peerRaw);
    if (!trusted(proxies, client)) return client;
    const hops = (headers.get('x-forwarded-for') ?? '')
      .split(',')
      .map(normal)
      .filter((h) => isIP(h) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) {
      client = hops[i] as string;
      if (!trusted(proxies, client)) return client;
    }
    return client;
  };
}
