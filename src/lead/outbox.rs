//! The outbox, and the one value that owns this page's part in it. Each lead is written to
//! `localStorage` before it is sent and removed once the API has answered for good, so a lead
//! whose page closed, or whose retries ran out, goes out on the visitor's next page view.
//! Ownership is a lease: the page whose unexpired lease an entry carries is the only one that
//! sends it, so tabs sharing one outbox send each lead once. Every change is made under the
//! outbox's Web Lock, except on `pagehide` (an unloading page does not wait for a lock).
//!
//! The network side (the attempts, retries, the flush task) is `delivery`'s; what the outbox
//! needs of the browser comes through a [`Host`], so these rules run natively in `cargo test`.

use super::body::Lead;
use super::dedupe::{self, Who};
use super::entry::{self, Entry};
use super::host::Host;
use crate::retry::Next;
use crate::text::cat;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

const LOCK: &str = "affitor_outbox";
/// Slack on the lease of an entry waiting for a retry timer.
const WAITING_SLACK_MS: f64 = 5_000.0;
/// A page keeps an eye on other pages' leases that run out within this long.
const RECHECK_WITHIN_MS: f64 = 60_000.0;
/// How long after a page has gone the answer to a lead it left on the wire (or as a beacon) is
/// expected: another page sends it again only then (the API's "already recorded" then closes it),
/// instead of after a whole lease. An outbox that keeps a storm of page loads' leads for this long
/// rather than a lease stays small.
const ANSWER_EXPECTED_MS: u32 = 3_000;
/// A lead that left the browser this many times with a page that went (each time a request the
/// browser carries on without the page: keepalive, or a beacon), and whose answer no page saw,
/// counts as delivered: in a storm of short page views no page lives to see an answer, and
/// sending it on and on would only fill the outbox up to its bound, and then refuse new leads.
const UNSEEN_MAX: u32 = 2;

/// This page's part in the outbox: everything delivery knows between two steps of a lead.
/// Single-threaded, and no borrow of its cells is held across an `await`.
pub struct Outbox<H: Host> {
    host: H,
    /// This page's session id: the owner of the entries it holds.
    me: String,
    lease_ms: u32,
    /// Numbers this page's entries.
    made: Cell<u32>,
    /// The page is going (`pagehide` fired, and no `pageshow` since).
    hiding: Cell<bool>,
    /// A flush is set to look again when another page's lease runs out.
    recheck: Cell<bool>,
    /// The API was said to be unreachable on this page (said once).
    warned: Cell<bool>,
    /// The entries this page is sending right now: a flush never takes them a second time.
    sending: RefCell<Vec<String>>,
    /// Leads accepted by this page and not yet in the outbox (waiting for its lock): a page that
    /// goes meanwhile writes them there itself.
    accepting: RefCell<Vec<Entry>>,
    /// The customers whose lead this page has taken on, each as a Web Lock held until the page
    /// goes (or the API refused the lead): another tab signing up the same customer meanwhile
    /// finds the lock taken. The outbox alone cannot tell it: a tab's copy of `localStorage` may
    /// lag behind another tab's writes, even after the outbox lock has passed between them.
    customers: RefCell<Vec<Customer<H::Lock>>>,
    /// Set once the stored outbox does not read back as it was written (a page's broken
    /// `JSON.parse`, a storage stub): from then on this page keeps its outbox in memory.
    memory: RefCell<Option<Vec<Entry>>>,
}

/// A customer's lock, held for the entry `id`.
struct Customer<L> {
    id: String,
    _lock: L,
}

/// What became of a lead handed to [`Outbox::accept`].
#[derive(Debug)]
pub enum Accepted {
    /// In the outbox as `id`, with its first attempt when this page has claimed it already.
    New { id: String, first: Option<Attempt> },
    /// This customer's lead was delivered from this browser, or is on its way.
    Duplicate,
    /// The page went before the outbox lock was granted: `release` sent the lead.
    Released,
    /// The outbox holds [`entry::MAX_ENTRIES`] leads already: this one was not kept.
    Full,
}

/// One attempt this page has claimed.
#[derive(Debug, PartialEq)]
pub struct Attempt {
    /// The request body.
    pub body: String,
    /// The lead's fingerprint, remembered once it is delivered.
    pub fp: String,
    /// Attempts so far in all pages, this one included.
    pub attempts: u32,
}

/// What a flush found in the outbox.
pub struct Flush {
    /// The entries this page took to send.
    pub claimed: Vec<String>,
    /// Whether the outbox lock was exclusive (false where the browser has no Web Locks).
    pub exclusive: bool,
    /// When to look again: another page's lease runs out within this many ms.
    pub recheck_in: Option<u32>,
}

/// Marks an entry as being sent by this page until dropped.
pub struct Sending<'a, H: Host> {
    outbox: &'a Outbox<H>,
    id: String,
}

impl<H: Host> Drop for Sending<'_, H> {
    fn drop(&mut self) {
        self.outbox.sending.borrow_mut().retain(|s| *s != self.id);
    }
}

impl<H: Host> Outbox<H> {
    pub fn new(host: H, me: String, lease_ms: u32) -> Self {
        Outbox {
            host,
            me,
            lease_ms,
            made: Cell::new(0),
            hiding: Cell::new(false),
            recheck: Cell::new(false),
            warned: Cell::new(false),
            sending: RefCell::new(Vec::new()),
            accepting: RefCell::new(Vec::new()),
            customers: RefCell::new(Vec::new()),
            memory: RefCell::new(None),
        }
    }

    pub fn hiding(&self) -> bool {
        self.hiding.get()
    }

    /// True the first time only: the API is said to be unreachable once per page.
    pub fn first_warning(&self) -> bool {
        !self.warned.replace(true)
    }

    /// Adds `lead` to the outbox, unless this customer's lead was delivered or is on its way.
    /// Under the outbox lock, so ten tabs signing up one customer at once keep one lead. The
    /// lead is held in this page from the call on (see [`Outbox::release`]). The fingerprint is
    /// made under the lock too, since the first tab of a browser makes its salt. The same lock
    /// round trip claims the first attempt, so that it leaves at once: a page that redirects
    /// right after `signup()` gives it little time.
    pub async fn accept(&self, lead: &Lead) -> Accepted {
        let now = self.host.now();
        self.made.set(self.made.get() + 1);
        let id = entry::entry_id(&self.me, self.made.get());
        let lease = now + self.lease_ms as f64;
        let e = Entry::new(id.clone(), String::new(), now, &self.me, lease, lead);
        self.accepting.borrow_mut().push(e);
        let who = Who {
            program_id: lead.program_id.as_deref(),
            customer_key: lead.customer_key.as_deref(),
            click_id: lead.click_id.as_deref(),
        };
        // Both locks asked for at once: the outbox lock's wait overlaps the customer lock's
        // answer (each a round trip to the browser), and this page's signup is ahead of its own
        // flush.
        let customer = self
            .host
            .lock(&cat(&["affitor_lead_", &dedupe::customer(who)]), true);
        let outbox = self.host.lock(LOCK, false);
        let Some(customer) = customer.await else {
            // Another page or tab is sending this customer's lead.
            return match self.take_accepting(&id) {
                Some(_) => Accepted::Duplicate,
                None => Accepted::Released,
            };
        };
        let _outbox = outbox.await;
        let mut accepted = Accepted::Released;
        self.change(&mut |entries, now| {
            let Some(mut e) = self.take_accepting(&id) else {
                return false; // the page went meanwhile: `release` sent it
            };
            e.fp = dedupe::fingerprint(&self.salt(), who);
            if self.was_sent(&e.fp, now) || entries.iter().any(|x| x.fp == e.fp) {
                accepted = Accepted::Duplicate;
                return false;
            }
            if !entry::has_room(entries) {
                // The bound says no to this new lead, never to one the outbox holds.
                accepted = Accepted::Full;
                return false;
            }
            // A lead made on the landing page waits for its click id (`delivery::send`).
            let first = (!self.host.click_in_flight()).then(|| self.claim_entry(&mut e, now));
            accepted = Accepted::New {
                id: e.id.clone(),
                first,
            };
            entries.push(e);
            true
        });
        if let Accepted::New { .. } = accepted {
            self.customers.borrow_mut().push(Customer {
                id,
                _lock: customer,
            });
        }
        accepted
    }

    /// Marks `id` as being sent by this page until the guard is dropped; `None` when it is
    /// already.
    pub fn sending(&self, id: &str) -> Option<Sending<'_, H>> {
        let mut all = self.sending.borrow_mut();
        if all.iter().any(|s| s == id) {
            return None;
        }
        all.push(String::from(id));
        Some(Sending {
            outbox: self,
            id: String::from(id),
        })
    }

    /// The next attempt at `id`, if it is still this page's to send: another page may have
    /// delivered or taken it.
    pub async fn claim(&self, id: &str) -> Option<Attempt> {
        let _lock = self.host.lock(LOCK, false).await;
        let mut claimed = None;
        self.change(&mut |entries, now| {
            let Some(e) = entries.iter_mut().find(|e| e.id == id) else {
                return false;
            };
            if !e.claimable(&self.me, now) {
                return false;
            }
            claimed = Some(self.claim_entry(e, now));
            true
        });
        claimed
    }

    /// After an attempt worth retrying failed: `id` waits for its retry timer (still this
    /// page's), or is let go for any page to send from then on.
    pub async fn postpone(&self, id: &str, next: Next) {
        let _lock = self.host.lock(LOCK, false).await;
        self.change(&mut |entries, now| {
            let Some(e) = entries.iter_mut().find(|e| e.id == id) else {
                return false;
            };
            match next {
                Next::Later { not_before_ms } => e.let_go(now + not_before_ms as f64),
                Next::Wait(ms) => {
                    e.lease = now + ms as f64 + WAITING_SLACK_MS;
                    e.waiting = true;
                }
            }
            true
        });
    }

    /// The API answered `id` for good: the entry goes, and a delivered lead is remembered. A
    /// refused one lets its customer go: a new signup of this customer may try again.
    pub async fn answered(&self, id: &str, fp: &str, delivered: bool) {
        if !delivered {
            self.customers.borrow_mut().retain(|c| c.id != id);
        }
        let _lock = self.host.lock(LOCK, false).await;
        self.change(&mut |entries, now| {
            entries.retain(|e| e.id != id);
            if delivered {
                self.remember_sent(fp, now);
            }
            true
        });
    }

    /// Takes what earlier pages left in the outbox (and what this page left to a later attempt),
    /// except what this page is sending now.
    pub async fn flush(&self) -> Flush {
        let lock = self.host.lock(LOCK, false).await;
        let exclusive = lock.as_ref().is_some_and(H::exclusive);
        let mut claimed = Vec::new();
        let mut next = f64::INFINITY;
        self.change(&mut |entries, now| {
            let sending = self.sending.borrow();
            for e in entries.iter_mut() {
                if sending.contains(&e.id) {
                    continue;
                }
                if e.claimable(&self.me, now) {
                    e.hold(&self.me, now + self.lease_ms as f64);
                    claimed.push(e.id.clone());
                } else {
                    next = next.min(e.lease - now);
                }
            }
            !claimed.is_empty()
        });
        // An entry another page holds (sending it, or gone with it) is looked at again when
        // that lease runs out: an open page takes over an orphaned lead without waiting for a
        // navigation.
        let recheck_in =
            (next <= RECHECK_WITHIN_MS && !self.recheck.replace(true)).then_some(next as u32);
        Flush {
            claimed,
            exclusive,
            recheck_in,
        }
    }

    /// The look again that [`Flush::recheck_in`] asked for is due: a later flush may ask anew.
    pub fn recheck_due(&self) {
        self.recheck.set(false);
    }

    /// The page is going: nothing more is sent from it until [`Outbox::resume`].
    pub fn hide(&self) {
        self.hiding.set(true);
    }

    /// The page is back from the back/forward cache.
    pub fn resume(&self) {
        self.hiding.set(false);
    }

    /// The page is going (`pagehide`): the leads it has not sent yet (waiting for the lock, or
    /// for the landing page's click; where there is no keepalive, every unconfirmed one) go out
    /// now as `text/plain` beacons, so a redirect right after `signup()` loses no lead. Their
    /// entries stay leased as in flight: a later page view confirms them (the API's "already
    /// recorded" answer closes a lead that did arrive). A lead waiting for a retry timer is
    /// handed back instead, for the next page view to send at once. Synchronous: an unloading
    /// page does not wait for a lock.
    pub fn release(&self) {
        self.hide();
        // The customers' locks go with the page (a page that holds a lock is not kept in the
        // back/forward cache); its outbox entries keep the leads.
        self.customers.borrow_mut().clear();
        let keepalive = self.host.keepalive();
        let mut accepting = core::mem::take(&mut *self.accepting.borrow_mut());
        self.change(&mut |entries, now| {
            let expected = now + self.lease_ms.min(ANSWER_EXPECTED_MS) as f64;
            let mut changed = !accepting.is_empty();
            entries.append(&mut accepting);
            for e in entries.iter_mut().filter(|e| e.owner == self.me) {
                if !e.waiting && keepalive {
                    // In flight, with keepalive: it carries on without the page.
                    e.lease = e.lease.min(expected);
                    e.unseen += 1;
                    changed = true;
                    continue;
                }
                if e.attempts > 0 && keepalive {
                    // Waiting for a retry: the next page view sends it at once.
                    e.let_go(0.0);
                    changed = true;
                    continue;
                }
                let body = self.body(e);
                // A beacon: `text/plain` needs no preflight, which an unloading page cannot wait
                // for (a JSON fetch started now needs one, and is then sometimes lost). A
                // keepalive fetch only where the browser refuses the beacon (its quota).
                if !self.host.beacon(&body) {
                    if !keepalive {
                        continue;
                    }
                    self.host.fire(&body);
                }
                e.hold(&self.me, expected);
                e.attempts += 1;
                e.unseen += 1;
                changed = true;
            }
            entries.retain(|e| {
                let gone = e.owner == self.me && e.unseen >= UNSEEN_MAX;
                if gone {
                    self.remember_sent(&e.fp, now);
                }
                !gone
            });
            changed
        });
    }

    /// How many leads wait in the outbox, and the oldest one's creation time and attempts.
    pub fn waiting(&self) -> (usize, Option<(f64, u32)>) {
        let mut seen = (0, None);
        self.change(&mut |entries, _| {
            seen = (
                entries.len(),
                entries.first().map(|e| (e.created, e.attempts)),
            );
            false // read only
        });
        seen
    }

    /// Takes the entry for one attempt by this page, leased as in flight.
    fn claim_entry(&self, e: &mut Entry, now: f64) -> Attempt {
        e.hold(&self.me, now + self.lease_ms as f64);
        e.attempts += 1;
        Attempt {
            body: self.body(e),
            fp: e.fp.clone(),
            attempts: e.attempts,
        }
    }

    /// The entry's request body, with the click the browser holds now if it had none.
    fn body(&self, e: &mut Entry) -> String {
        e.body(|| self.host.held_click())
    }

    fn take_accepting(&self, id: &str) -> Option<Entry> {
        let mut accepting = self.accepting.borrow_mut();
        let i = accepting.iter().position(|e| e.id == id)?;
        Some(accepting.remove(i))
    }

    /// This browser's salt for fingerprints, made by the first page that needs one.
    fn salt(&self) -> String {
        if let Some(s) = dedupe::usable_salt(self.host.read(dedupe::SALT_KEY)) {
            return s;
        }
        let s = dedupe::new_salt(self.host.random(), self.host.random());
        self.host.write(dedupe::SALT_KEY, &s);
        s
    }

    /// Was this lead delivered from this browser?
    fn was_sent(&self, fp: &str, now: f64) -> bool {
        dedupe::has(&self.sent_list(), fp, now as u64)
    }

    /// Remembers a delivered lead.
    fn remember_sent(&self, fp: &str, now: f64) {
        let list = dedupe::add(&self.sent_list(), fp, now as u64);
        self.host.write(dedupe::SENT_KEY, &list);
    }

    fn sent_list(&self) -> String {
        self.host.read(dedupe::SENT_KEY).unwrap_or_default()
    }

    /// Runs `f` on the outbox (oldest entry first) at the host's `now` and, if `f` says it
    /// changed it, writes it back. Entries too old are gone before `f` sees them. The one
    /// entry point of every change: `dyn`, so that it is compiled once.
    fn change(&self, f: &mut dyn FnMut(&mut Vec<Entry>, f64) -> bool) {
        let now = self.host.now();
        let mut memory = self.memory.borrow_mut();
        if let Some(kept) = memory.as_mut() {
            entry::trim(kept, now);
            f(kept, now);
            return;
        }
        let mut entries = self.host.load();
        entry::trim(&mut entries, now);
        if !f(&mut entries, now) {
            return;
        }
        entry::trim(&mut entries, now);
        self.host.save(&entries);
        let mut back = self.host.load();
        entry::trim(&mut back, now);
        if back.len() != entries.len() || back.iter().zip(entries.iter()).any(|(a, b)| a.id != b.id)
        {
            self.host.warn(
                "this page's storage keeps no outbox: unsent leads are kept for this page only",
            );
            *memory = Some(entries);
        }
    }
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
