#!/usr/bin/env node
// Every React client component ("use client") must live where the boundary
// rules can see it: apps/web/src/components/**, apps/web/src/trpc/react.tsx,
// a file named *.client.tsx, or a route's error.tsx / global-error.tsx (Next
// requires those to be client components in place). dependency-cruiser then guarantees that none of
// them imports server code. Usage: node check-client-files.mjs [root]
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? '.');
const webSrc = path.join(root, 'apps/web/src');
const allowed =
  /^apps\/web\/src\/(components\/|trpc\/react\.tsx$|.*\.client\.tsx?$|app\/(.*\/)?(error|global-error)\.tsx$)/;

function* walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (/\.(t|j)sx?$/.test(e.name)) yield p;
  }
}

const misplaced = [];
for (const file of walk(webSrc)) {
  const head = readFileSync(file, 'utf8').slice(0, 200);
  if (/^\s*(\/\/[^\n]*\n\s*)*['"]use client['"]/.test(head)) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (!allowed.test(rel)) misplaced.push(rel);
  }
}
if (misplaced.length) {
  console.error(
    `These "use client" files are outside apps/web/src/components/ and not named *.client.tsx, so the boundary check cannot guard them:\n${misplaced.map((f) => `  ${f}`).join('\n')}`,
  );
  process.exit(1);
}
console.log('✔ every "use client" file is where the boundary rules guard it');
