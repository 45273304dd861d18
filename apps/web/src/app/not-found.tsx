import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="flex min-h-dvh flex-col items-center justify-center px-4 text-center">
      <p className="font-mono text-sm text-zinc-400">404</p>
      <h1 className="mt-2 text-xl font-semibold tracking-tight">Page not found</h1>
      <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
        There is nothing at this address.
      </p>
      <Link
        href="/"
        className="mt-6 text-sm font-medium text-brand-600 hover:underline dark:text-brand-100"
      >
        Back to the overview
      </Link>
    </div>
  );
}
