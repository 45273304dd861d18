'use client';

import { MoonIcon, SunIcon } from '../ui/icons';

/** Flips the `dark` class on <html> and remembers the choice (the inline script in the root layout applies it before paint). */
export function ThemeToggle({ className }: { className?: string }) {
  function toggle() {
    const dark = !document.documentElement.classList.contains('dark');
    document.documentElement.classList.toggle('dark', dark);
    try {
      localStorage.setItem('baton-theme', dark ? 'dark' : 'light');
    } catch {
      // Storage may be unavailable (private mode); the theme still applies for this page.
    }
  }
  return (
    <button
      type="button"
      onClick={toggle}
      aria-label="Toggle dark mode"
      title="Toggle dark mode"
      className={
        className ??
        'inline-flex size-8 items-center justify-center rounded-md text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-100'
      }
    >
      <MoonIcon className="dark:hidden" />
      <SunIcon className="hidden dark:block" />
    </button>
  );
}
