import type { AffitorCustomer, AffitorInitOptions, AffitorResult } from '../types/tracker.js';

/** `<Affitor>`'s props: init()'s options. */
export type AffitorProps = AffitorInitOptions;

/**
 * Starts the tracker once, in the browser (its props are init()'s options; later changes are
 * ignored). Renders nothing. Importable from a Server Component: the entry is `'use client'`.
 */
export function Affitor(props: AffitorProps): null;

export interface UseAffitor {
  /** false on the server and until the tracker runs in this browser. */
  ready: boolean;
  /** The click id this browser holds: null on the server and in the first client render, then updated on each click recorded. */
  clickId: string | null;
  signup(customerKey: AffitorCustomer, email?: string | null): Promise<AffitorResult>;
  trackClick(url?: string, existingClickId?: string | null): Promise<AffitorResult>;
}

/** The tracker's state for a component: `{ ready, clickId, signup, trackClick }`. */
export function useAffitor(): UseAffitor;
