// The globals of the script tag: `window.affitor`, `window.affitorQueue`, `AFFITOR_PROGRAM_ID`.
// Bring them in with `/// <reference types="affitor-tracker/global" />` (or list
// "affitor-tracker/global" in tsconfig's "types"); importing 'affitor-tracker' brings them too.

type AffitorResult = import('./tracker.js').AffitorResult;
type AffitorData = import('./tracker.js').AffitorData;
type AffitorTracker = import('./tracker.js').AffitorTracker;
type AffitorQueueEntry = import('./tracker.js').AffitorQueueEntry;
type AffitorSignup = import('./tracker.js').AffitorSignup;
type AffitorCustomer = import('./tracker.js').AffitorCustomer;
type AffitorInitOptions = import('./tracker.js').AffitorInitOptions;

interface Window {
  /** The tracker, from the moment its script tag (or the module's init()) has run. */
  affitor?: AffitorTracker;
  /** Calls made before the tracker loaded, e.g. `['signup', 'user_123', 'user@example.com']`. */
  affitorQueue?: AffitorQueueEntry[];
  /** The program id, when the script tag has no `data-affitor-program-id`. */
  AFFITOR_PROGRAM_ID?: string | number;
}
