import { getSessionCookie } from 'better-auth/cookies';
import { type NextRequest, NextResponse } from 'next/server';

/** Pages anyone may open without a session. */
const PUBLIC = /^\/(sign-in|sign-up)(\/|$)/;

/**
 * The page's Content-Security-Policy: scripts only with this request's nonce
 * (and what they load: 'strict-dynamic'); nothing from other origins; the
 * console cannot be framed. Styles may be inline (React style attributes, charts).
 */
export function contentSecurityPolicy(nonce: string, dev = process.env.NODE_ENV === 'development') {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/**
 * Every page: a fresh CSP nonce (passed on as `x-nonce` and in the request's
 * CSP, from which Next nonces its own scripts; the root layout nonces its
 * inline theme script), and an optimistic gate — requests without a session
 * cookie go to /sign-in with the page to return to. The console layout checks
 * the session for real.
 */
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
  const csp = contentSecurityPolicy(nonce);
  let response: NextResponse;
  if (PUBLIC.test(request.nextUrl.pathname) || getSessionCookie(request)) {
    const headers = new Headers(request.headers);
    headers.set('x-nonce', nonce);
    headers.set('content-security-policy', csp);
    response = NextResponse.next({ request: { headers } });
  } else {
    const url = request.nextUrl.clone();
    const next = `${request.nextUrl.pathname}${request.nextUrl.search}`;
    url.pathname = '/sign-in';
    url.search = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
    response = NextResponse.redirect(url);
  }
  response.headers.set('content-security-policy', csp);
  return response;
}

export const config = {
  // Every page. Not the API routes (their headers come from next.config.ts, and a
  // proxy in front of them would hold request bodies), Next's static files,
  // image optimisation, or the icons and images served from public/ and app/.
  matcher: [
    '/((?!api/|_next/static|_next/image|favicon.ico|icon.svg|.*\\.(?:svg|png|jpg|jpeg|gif|webp|ico|css|js|map|txt)$).*)',
  ],
};
