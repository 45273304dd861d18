import { getSessionCookie } from 'better-auth/cookies';
import { type NextRequest, NextResponse } from 'next/server';

/**
 * An optimistic gate: requests without a session cookie go to /sign-in with
 * the page to return to. The console layout checks the session for real.
 */
export function proxy(request: NextRequest) {
  if (getSessionCookie(request)) return NextResponse.next();
  const url = request.nextUrl.clone();
  const next = `${request.nextUrl.pathname}${request.nextUrl.search}`;
  url.pathname = '/sign-in';
  url.search = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
  return NextResponse.redirect(url);
}

export const config = {
  // Everything except the sign-in and sign-up pages, the API routes and static assets.
  matcher: ['/((?!sign-in|sign-up|api/|_next/|favicon.ico|.*\\.(?:svg|png|jpg|ico|css|js)$).*)'],
};
