'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/react';
import { cn } from '../ui/cn';
import { BatonMark, HomeIcon, MenuIcon, ShieldIcon, TagIcon, XIcon } from '../ui/icons';
import { Skeleton } from '../ui/skeleton';
import { SignOutButton } from './sign-out-button';
import { SimulatorNotice } from './simulator-notice';
import { ThemeToggle } from './theme-toggle';

export interface ShellUser {
  name: string;
  email: string;
}

function NavLink({
  href,
  active,
  icon,
  children,
  onNavigate,
  badge,
}: {
  href: string;
  active: boolean;
  icon?: ReactNode;
  children: ReactNode;
  onNavigate?: () => void;
  badge?: ReactNode;
}) {
  return (
    <Link
      href={href}
      onClick={onNavigate}
      aria-current={active ? 'page' : undefined}
      className={cn(
        'flex items-center gap-2.5 rounded-md px-2.5 py-1.5 text-sm transition-colors',
        active
          ? 'bg-zinc-200/60 font-medium text-zinc-900 dark:bg-zinc-800 dark:text-zinc-50'
          : 'text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800/60 dark:hover:text-zinc-100',
      )}
    >
      {icon}
      <span className="flex min-w-0 flex-1 items-center gap-2">
        <span className="truncate">{children}</span>
        {badge}
      </span>
    </Link>
  );
}

function TeamInitial({ name }: { name: string }) {
  return (
    <span
      aria-hidden="true"
      className="flex size-4 shrink-0 items-center justify-center rounded bg-zinc-200 text-[10px] font-semibold text-zinc-600 dark:bg-zinc-700 dark:text-zinc-200"
    >
      {name.slice(0, 1).toUpperCase()}
    </span>
  );
}

const TEAM_PAGES = [
  ['tasks', 'Tasks'],
  ['live', 'Live'],
  ['analytics', 'Analytics'],
  ['budget', 'Budget'],
  ['members', 'Members'],
  ['settings', 'Settings'],
] as const;

/** How often the navigation refreshes the teams' open-alert badges. */
const ALERT_BADGE_REFRESH_MS = 30_000;

function AlertBadge({ count }: { count: number }) {
  if (count <= 0) return null;
  return (
    <span
      className="ml-auto inline-flex min-w-5 shrink-0 items-center justify-center rounded-full bg-red-600 px-1.5 text-[11px] leading-5 font-semibold text-white tabular dark:bg-red-500"
      title={`${count} open ${count === 1 ? 'alert' : 'alerts'}`}
    >
      {count}
      <span className="sr-only"> open {count === 1 ? 'alert' : 'alerts'}</span>
    </span>
  );
}

function Navigation({ onNavigate }: { onNavigate?: () => void }) {
  const pathname = usePathname();
  const trpc = useTRPC();
  const teams = useQuery({
    ...trpc.team.list.queryOptions(),
    refetchInterval: ALERT_BADGE_REFRESH_MS,
  });
  return (
    <nav aria-label="Main" className="flex flex-1 flex-col gap-6 overflow-y-auto px-3 py-4">
      <div className="flex flex-col gap-0.5">
        <NavLink href="/" active={pathname === '/'} icon={<HomeIcon />} onNavigate={onNavigate}>
          Overview
        </NavLink>
      </div>
      <div>
        <h2 className="mb-1 px-2.5 text-xs font-medium text-zinc-400 dark:text-zinc-500">Teams</h2>
        <div className="flex flex-col gap-0.5">
          {teams.isPending ? (
            <div className="space-y-2 px-2.5 py-1">
              <Skeleton className="h-4 w-3/4" />
              <Skeleton className="h-4 w-1/2" />
            </div>
          ) : teams.isError ? (
            <p className="px-2.5 text-xs text-bad">Could not load teams.</p>
          ) : teams.data.length === 0 ? (
            <p className="px-2.5 text-xs text-zinc-500">No teams yet.</p>
          ) : (
            teams.data.map((team) => {
              const base = `/teams/${team.id}`;
              const inTeam = pathname === base || pathname.startsWith(`${base}/`);
              return (
                <div key={team.id} className="flex flex-col gap-0.5">
                  <NavLink
                    href={`${base}/tasks`}
                    active={inTeam && pathname.startsWith(`${base}/tasks`)}
                    icon={<TeamInitial name={team.name} />}
                    onNavigate={onNavigate}
                    badge={inTeam ? null : <AlertBadge count={team.openAlerts} />}
                  >
                    {team.name}
                  </NavLink>
                  {inTeam ? (
                    <div className="ml-4 flex flex-col gap-0.5 border-l border-zinc-200 pl-2 dark:border-zinc-800">
                      {TEAM_PAGES.map(([segment, label]) => (
                        <NavLink
                          key={segment}
                          href={`${base}/${segment}`}
                          active={pathname.startsWith(`${base}/${segment}`)}
                          onNavigate={onNavigate}
                          badge={segment === 'live' ? <AlertBadge count={team.openAlerts} /> : null}
                        >
                          {label}
                        </NavLink>
                      ))}
                    </div>
                  ) : null}
                </div>
              );
            })
          )}
          <NavLink
            href="/teams/new"
            active={pathname === '/teams/new'}
            icon={
              <span
                aria-hidden="true"
                className="flex size-4 items-center justify-center text-zinc-400"
              >
                +
              </span>
            }
            onNavigate={onNavigate}
          >
            New team
          </NavLink>
        </div>
      </div>
      <div>
        <h2 className="mb-1 px-2.5 text-xs font-medium text-zinc-400 dark:text-zinc-500">
          Settings
        </h2>
        <NavLink
          href="/settings/prices"
          active={pathname.startsWith('/settings/prices')}
          icon={<TagIcon />}
          onNavigate={onNavigate}
        >
          Prices
        </NavLink>
        <NavLink
          href="/settings/sandbox"
          active={pathname.startsWith('/settings/sandbox')}
          icon={<ShieldIcon />}
          onNavigate={onNavigate}
        >
          Sandbox
        </NavLink>
      </div>
    </nav>
  );
}

function UserFooter({ user }: { user: ShellUser }) {
  return (
    <div className="flex items-center gap-2 border-t border-zinc-200 px-3 py-3 dark:border-zinc-800">
      <span
        aria-hidden="true"
        className="flex size-8 shrink-0 items-center justify-center rounded-full bg-gradient-to-br from-brand-500 to-brand-700 text-xs font-semibold text-white"
      >
        {(user.name || user.email).slice(0, 1).toUpperCase()}
      </span>
      <div className="min-w-0 flex-1">
        <p className="truncate text-sm font-medium text-zinc-900 dark:text-zinc-100">{user.name}</p>
        <p className="truncate text-xs text-zinc-500 dark:text-zinc-400">{user.email}</p>
      </div>
      <ThemeToggle />
      <SignOutButton />
    </div>
  );
}

function Brand() {
  return (
    <Link href="/" className="flex items-center gap-2 rounded-md font-semibold tracking-tight">
      <BatonMark />
      <span>Baton</span>
    </Link>
  );
}

export function AppShell({ user, children }: { user: ShellUser; children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const closeRef = useRef<HTMLButtonElement>(null);
  const pathname = usePathname();

  // Close the drawer on navigation and with Escape; focus its close button when it opens.
  useEffect(() => setOpen(false), [pathname]);
  useEffect(() => {
    if (!open) return;
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);

  return (
    <div className="min-h-dvh md:flex">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:text-sm focus:shadow dark:focus:bg-zinc-900"
      >
        Skip to content
      </a>

      {/* Desktop sidebar */}
      <aside className="sticky top-0 hidden h-dvh w-60 shrink-0 flex-col border-r border-zinc-200 bg-zinc-50/80 md:flex dark:border-zinc-800 dark:bg-zinc-950">
        <div className="flex h-14 items-center px-5">
          <Brand />
        </div>
        <Navigation />
        <UserFooter user={user} />
      </aside>

      {/* Mobile top bar */}
      <header className="sticky top-0 z-30 flex h-14 items-center justify-between border-b border-zinc-200 bg-white/80 px-4 backdrop-blur md:hidden dark:border-zinc-800 dark:bg-zinc-950/80">
        <Brand />
        <button
          type="button"
          onClick={() => setOpen(true)}
          aria-label="Open navigation"
          aria-expanded={open}
          aria-controls="mobile-nav"
          className="inline-flex size-9 items-center justify-center rounded-md text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
        >
          <MenuIcon width={20} height={20} />
        </button>
      </header>

      {open ? (
        <div className="fixed inset-0 z-40 md:hidden">
          <button
            type="button"
            aria-label="Close navigation"
            tabIndex={-1}
            className="absolute inset-0 bg-zinc-950/40 backdrop-blur-[1px]"
            onClick={() => setOpen(false)}
          />
          <div
            id="mobile-nav"
            role="dialog"
            aria-modal="true"
            aria-label="Navigation"
            className="absolute inset-y-0 left-0 flex w-72 max-w-[85vw] flex-col bg-white shadow-xl dark:bg-zinc-950"
          >
            <div className="flex h-14 items-center justify-between px-4">
              <Brand />
              <button
                ref={closeRef}
                type="button"
                onClick={() => setOpen(false)}
                aria-label="Close navigation"
                className="inline-flex size-9 items-center justify-center rounded-md text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
              >
                <XIcon width={20} height={20} />
              </button>
            </div>
            <Navigation onNavigate={() => setOpen(false)} />
            <UserFooter user={user} />
          </div>
        </div>
      ) : null}

      <main id="main" className="min-w-0 flex-1">
        <SimulatorNotice />
        <div className="mx-auto w-full max-w-6xl px-4 py-6 sm:px-6 lg:px-8 lg:py-8">{children}</div>
      </main>
    </div>
  );
}
